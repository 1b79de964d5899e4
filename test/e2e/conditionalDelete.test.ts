import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

interface Outcome {
  resourceType: string;
  issue: { severity: string; diagnostics: string }[];
}

describe("conditional delete under a configured cap (FHIRLEDGER_MAX_BUNDLE_ENTRIES)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_MAX_BUNDLE_ENTRIES: "2" } });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("refuses more matches than the cap with a 412 and leaves every one of them in place", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await server.json<{ id: string }>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cap", value: "1" }] }),
      });
      ids.push(created.body.id);
    }
    const refused = await server.json<Outcome>("/Patient?identifier=urn:test:cap|1", { method: "DELETE" });
    expect(refused.status).toBe(412);
    expect(refused.body.resourceType).toBe("OperationOutcome");
    expect(refused.body.issue[0]!.diagnostics).toContain("more than 2");
    for (const id of ids) {
      const read = await server.json(`/Patient/${id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get("etag")).toBe('W/"1"');
    }
    // within the cap, all matches go
    expect((await server.request(`/Patient/${ids[0]}`, { method: "DELETE" })).status).toBe(204);
    expect((await server.json<Outcome>("/Patient?identifier=urn:test:cap|1", { method: "DELETE" })).status).toBe(200);
    for (const id of ids) expect((await server.json(`/Patient/${id}`)).status).toBe(410);
  });

  it("applies the same cap to a conditional delete entry of a transaction (412, nothing deleted) and of a batch (that entry's 412)", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await server.json<{ id: string }>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cap-bundle", value: "1" }] }),
      });
      ids.push(created.body.id);
    }
    const entry = { request: { method: "DELETE", url: "Patient?identifier=urn:test:cap-bundle|1" } };
    const tx = await server.json<Outcome>("/", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [entry] }),
    });
    expect(tx.status).toBe(412);
    expect(tx.body.issue[0]!.diagnostics).toContain("more than 2");
    const batch = await server.json<{ entry: { response: { status: string } }[] }>("/", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Bundle", type: "batch", entry: [entry] }),
    });
    expect(batch.body.entry.map((e) => e.response.status)).toEqual(["412 Precondition Failed"]);
    for (const id of ids) expect((await server.json(`/Patient/${id}`)).headers.get("etag")).toBe('W/"1"');
    // within the cap, the transaction deletes both remaining matches
    expect((await server.request(`/Patient/${ids[0]}`, { method: "DELETE" })).status).toBe(204);
    const ok = await server.json<{ entry: { response: { status: string } }[] }>("/", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [entry] }),
    });
    expect(ok.body.entry.map((e) => e.response.status)).toEqual(["200 OK"]);
    for (const id of ids) expect((await server.json(`/Patient/${id}`)).status).toBe(410);
  });
  it("DELETE with If-Match: a stale version is a 412 OperationOutcome and deletes nothing; the current one or * deletes", async () => {
    const put = (id: string) =>
      server.request(`/Patient/${id}`, {
        method: "PUT",
        body: JSON.stringify({ resourceType: "Patient", id, identifier: [{ system: "urn:test:dm", value: id }] }),
      });
    await put("dm-1");
    await put("dm-1"); // version 2
    const stale = await server.json<Outcome>("/Patient/dm-1", { method: "DELETE", headers: { "If-Match": 'W/"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe("OperationOutcome");
    expect((await server.json("/Patient/dm-1")).headers.get("etag")).toBe('W/"2"');
    expect((await server.request("/Patient/dm-1", { method: "DELETE", headers: { "If-Match": 'W/"2"' } })).status).toBe(
      204,
    );
    expect((await server.json("/Patient/dm-1")).status).toBe(410);
    // If-Match: * holds while the resource is current; deleted or absent, it is a 412.
    await put("dm-2");
    expect((await server.request("/Patient/dm-2", { method: "DELETE", headers: { "If-Match": "*" } })).status).toBe(
      204,
    );
    expect((await server.request("/Patient/dm-2", { method: "DELETE", headers: { "If-Match": "*" } })).status).toBe(
      412,
    );
    expect((await server.request("/Patient/dm-none", { method: "DELETE", headers: { "If-Match": "*" } })).status).toBe(
      412,
    );
    expect(
      (await server.request("/Patient/dm-2", { method: "DELETE", headers: { "If-Match": "nonsense" } })).status,
    ).toBe(400);
    // Conditional delete: If-Match applies to the one match.
    await put("dm-3");
    expect(
      (
        await server.request("/Patient?identifier=urn:test:dm|dm-3", {
          method: "DELETE",
          headers: { "If-Match": 'W/"2"' },
        })
      ).status,
    ).toBe(412);
    expect((await server.json("/Patient/dm-3")).status).toBe(200);
    expect(
      (
        await server.request("/Patient?identifier=urn:test:dm|dm-3", {
          method: "DELETE",
          headers: { "If-Match": 'W/"1"' },
        })
      ).status,
    ).toBe(204);
    expect((await server.json("/Patient/dm-3")).status).toBe(410);
  });
});
