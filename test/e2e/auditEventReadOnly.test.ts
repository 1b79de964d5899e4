import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outcome, Searchset } from "../support/fhirBundles.ts";
import { param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const forged = (id?: string) => ({
  resourceType: "AuditEvent",
  ...(id === undefined ? {} : { id }),
  type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110" },
  recorded: "2026-01-01T00:00:00Z",
  agent: [{ requestor: true, who: { display: "forger" } }],
  source: { observer: { display: "forger" } },
});
const jsonPatch = JSON.stringify([{ op: "replace", path: "/outcome", value: "0" }]);
const PATCH = { "content-type": "application/json-patch+json" };

/**
 * AuditEvents are the server's own record (src/audit/AuditTrail.ts writes them through the
 * records pipeline): over REST they can be read, searched and their history read, but not
 * created, updated, patched or deleted, by any route: plain, conditional, or a Bundle entry.
 */
describe("AuditEvent is read-only over REST", () => {
  let server: TestServer;
  let auditId: string;
  /**
   * What a forger could have changed, as a client sees it: AuditEvents not written by the server
   * (every server-written one names the server as its source; each request adds its own, so the
   * count of all of them grows), the forged ids, and every version of the erasure's record.
   */
  const state = async () => {
    const count = async (query: string) =>
      (await server.json<{ total: number }>(`/AuditEvent?${query}&_summary=count`)).body.total;
    const original = await server.json<Searchset>(`/AuditEvent/${auditId}/_history`);
    return {
      notByServer: await count("source:missing=true"),
      forgedIds: await count("_id=forged-1,forged-2"),
      original: (original.body.entry ?? []).map((e) => JSON.stringify(e.resource)),
    };
  };

  beforeAll(async () => {
    server = await startTestServer();
    await server.putAll([{ resourceType: "Patient", id: "audited", name: [{ family: "Audited" }] }] as never);
    // The server writes an AuditEvent for an erasure: the internal path.
    const erased = await server.json<{ parameter: { name: string }[] }>("/Patient/audited/$erase", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "reason", valueCode: "test-data" }] }),
    });
    expect(erased.status).toBe(200);
    auditId = (param(erased.body, "auditEvent") as { reference: string }).reference.split("/")[1]!;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it.each([
    ["POST /AuditEvent", "/AuditEvent", "POST", forged(), {}],
    ["POST /AuditEvent with If-None-Exist", "/AuditEvent", "POST", forged(), { "if-none-exist": "_id=nothing" }],
    ["PUT /AuditEvent/[existing id]", "/AuditEvent/EXISTING", "PUT", "EXISTING", {}],
    ["PUT /AuditEvent/[new id]", "/AuditEvent/forged-1", "PUT", forged("forged-1"), {}],
    ["PUT /AuditEvent?criteria", "/AuditEvent?_id=EXISTING", "PUT", "EXISTING", {}],
    ["PATCH /AuditEvent/[id]", "/AuditEvent/EXISTING", "PATCH", jsonPatch, PATCH],
    ["PATCH /AuditEvent?criteria", "/AuditEvent?_id=EXISTING", "PATCH", jsonPatch, PATCH],
    ["DELETE /AuditEvent/[id]", "/AuditEvent/EXISTING", "DELETE", undefined, {}],
    ["DELETE /AuditEvent?criteria", "/AuditEvent?_id=EXISTING", "DELETE", undefined, {}],
  ] as const)(
    "%s is a 405 OperationOutcome naming the methods allowed, and changes nothing",
    async (_name, url, method, body, headers) => {
      const before = await state();
      const resolvedBody =
        body === "EXISTING"
          ? JSON.stringify(forged(auditId))
          : typeof body === "string"
            ? body
            : body && JSON.stringify(body);
      const res = await server.json<Outcome>(url.replace("EXISTING", auditId), {
        method,
        ...(resolvedBody === undefined ? {} : { body: resolvedBody }),
        headers,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      expect(res.body.resourceType).toBe("OperationOutcome");
      expect(res.body.issue[0]!.diagnostics).toMatch(/AuditEvent.*read-only|written by the server/);
      expect(await state()).toEqual(before);
    },
  );

  it("refuses AuditEvent writes in a transaction (nothing stored) and in each batch entry, reads still answer", async () => {
    const before = await state();
    const writes = [
      { request: { method: "POST", url: "AuditEvent" }, resource: forged() },
      { request: { method: "POST", url: "AuditEvent", ifNoneExist: "_id=none" }, resource: forged() },
      { request: { method: "PUT", url: `AuditEvent/${auditId}` }, resource: forged(auditId) },
      { request: { method: "PUT", url: "AuditEvent/forged-2" }, resource: forged("forged-2") },
      { request: { method: "PUT", url: `AuditEvent?_id=${auditId}` }, resource: forged(auditId) },
      {
        request: { method: "PATCH", url: `AuditEvent/${auditId}` },
        resource: {
          resourceType: "Binary",
          contentType: "application/json-patch+json",
          data: Buffer.from(jsonPatch).toString("base64"),
        },
      },
      { request: { method: "DELETE", url: `AuditEvent/${auditId}` } },
      { request: { method: "DELETE", url: `AuditEvent?_id=${auditId}` } },
    ];
    for (const entry of writes) {
      const transaction = await server.json<Outcome>("/", {
        method: "POST",
        body: JSON.stringify({
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            { request: { method: "PUT", url: "Patient/tx-p" }, resource: { resourceType: "Patient", id: "tx-p" } },
            entry,
          ],
        }),
      });
      expect(transaction.status, JSON.stringify(entry.request)).toBe(405);
      expect(transaction.body.issue[0]!.diagnostics).toContain("Bundle.entry[1]");
    }
    expect((await server.request("/Patient/tx-p")).status).toBe(404);
    const batch = await server.json<{ entry: { response: { status: string; outcome?: Outcome } }[] }>("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "batch",
        entry: [...writes, { request: { method: "GET", url: `AuditEvent/${auditId}` } }],
      }),
    });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e) => e.response.status.slice(0, 3))).toEqual([...writes.map(() => "405"), "200"]);
    expect(batch.body.entry[0]!.response.outcome!.issue[0]!.diagnostics).toMatch(/read-only/);
    expect(await state()).toEqual(before);
  });

  it("still reads, vreads, searches and reads the history of AuditEvents, and $verify answers", async () => {
    const read = await server.json<{ resourceType: string; id: string; meta: { versionId: string } }>(
      `/AuditEvent/${auditId}?_format=json`,
    );
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ resourceType: "AuditEvent", id: auditId, meta: { versionId: "1" } });
    expect((await server.request(`/AuditEvent/${auditId}`)).status).toBe(200);
    expect((await server.request(`/AuditEvent/${auditId}/_history/1`)).status).toBe(200);
    const search = await server.json<Searchset>(`/AuditEvent?_id=${auditId}`);
    expect(search.body.entry?.map((e) => e.resource.id)).toEqual([auditId]);
    const posted = await server.json<Searchset>("/AuditEvent/_search", {
      method: "POST",
      body: `_id=${auditId}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(posted.body.entry?.map((e) => e.resource.id)).toEqual([auditId]);
    expect((await server.json<Searchset>(`/AuditEvent/${auditId}/_history`)).body.entry).toHaveLength(1);
    expect((await server.json<Searchset>("/AuditEvent/_history")).status).toBe(200);
    expect((await server.request(`/AuditEvent/${auditId}/$verify`)).status).toBe(200);
  });

  it("claims only read, vread, search and history for AuditEvent in the CapabilityStatement", async () => {
    interface Resource {
      type: string;
      interaction: { code: string }[];
      conditionalCreate: boolean;
      conditionalUpdate: boolean;
      conditionalDelete: string;
      updateCreate: boolean;
      operation?: { name: string }[];
    }
    const metadata = await server.json<{ rest: { resource: Resource[] }[] }>("/metadata");
    const audit = metadata.body.rest[0]!.resource.find((r) => r.type === "AuditEvent")!;
    expect(audit.interaction.map((i) => i.code)).toEqual([
      "read",
      "vread",
      "history-instance",
      "history-type",
      "search-type",
    ]);
    expect(audit).toMatchObject({
      conditionalCreate: false,
      conditionalUpdate: false,
      conditionalDelete: "not-supported",
      updateCreate: false,
    });
    const patient = metadata.body.rest[0]!.resource.find((r) => r.type === "Patient")!;
    expect(patient.interaction.map((i) => i.code)).toEqual([
      "create",
      "read",
      "vread",
      "update",
      "patch",
      "delete",
      "history-instance",
      "history-type",
      "search-type",
    ]);
    expect(patient).toMatchObject({ conditionalCreate: true, conditionalUpdate: true, updateCreate: true });
  });
});
