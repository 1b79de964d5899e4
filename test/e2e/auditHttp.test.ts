import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type Bundle = { total?: number; entry?: { resource: Record<string, unknown> }[] };

/** The X-Request-Id entity of an AuditEvent. */
const requestIdOf = (e: Record<string, unknown>) =>
  (e.entity as { type?: { code?: string }; what?: { identifier?: { value?: string } } }[] | undefined)?.find(
    (x) => x.type?.code === "XrequestId",
  )?.what?.identifier?.value;

/** Audit over HTTP: the plain-read fast path, refusals at the edge, search and NDJSON export. */
describe("audit at the HTTP edge", () => {
  let server: TestServer;
  const eventsOf = async (requestId: string) => {
    const found = await server.json<Bundle>("/AuditEvent?_count=1000&_sort=-date");
    expect(found.status).toBe(200);
    return (found.body.entry ?? []).map((e) => e.resource).filter((e) => requestIdOf(e) === requestId);
  };

  beforeAll(async () => {
    server = await startTestServer();
    await server.putAll([{ resourceType: "Patient", id: "edge-p1" }]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("a plain GET by id (answered before the app) is audited under the request id it answers with", async () => {
    const res = await server.request("/Patient/edge-p1", { headers: { "x-request-id": "edge-plain-read" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("edge-plain-read");
    const [event, ...more] = await eventsOf("edge-plain-read");
    expect(more).toEqual([]);
    expect(event).toMatchObject({ action: "R", outcome: "0" });
    expect(JSON.stringify(event)).toContain("Patient/edge-p1");
  });

  it("a request without valid credentials (401) is audited, on the plain-read path and the app's", async () => {
    for (const [path, id] of [
      ["/Patient/edge-p1", "edge-401-plain"],
      ["/Patient?_id=edge-p1", "edge-401-app"],
    ] as const) {
      const res = await server.request(path, {
        auth: false,
        headers: { authorization: "Bearer not-a-token", "x-request-id": id },
      });
      expect(res.status).toBe(401);
      const [event] = await eventsOf(id);
      expect(event, id).toMatchObject({ outcome: "8" });
      expect(JSON.stringify(event)).toContain("unauthenticated caller");
      expect(JSON.stringify(event)).not.toContain("not-a-token");
    }
  });

  it("exports AuditEvents as NDJSON, by the operation or by _format", async () => {
    const res = await server.request("/AuditEvent/$export?entity=Patient/edge-p1");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/fhir+ndjson");
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ resourceType: "AuditEvent" });
    const viaFormat = await server.request(
      `/AuditEvent/$export?entity=Patient/edge-p1&_format=${encodeURIComponent("application/fhir+ndjson")}`,
    );
    expect(viaFormat.status).toBe(200);
    expect(viaFormat.headers.get("content-type")).toBe("application/fhir+ndjson");
    const elsewhere = await server.request("/Patient?_id=edge-p1", { headers: { accept: "application/fhir+ndjson" } });
    expect(elsewhere.status).toBe(406);
  });
});
