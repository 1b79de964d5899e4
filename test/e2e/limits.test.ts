import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("configurable limits on what a client controls", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { FHIRLEDGER_MAX_BUNDLE_ENTRIES: "2", FHIRLEDGER_MAX_COUNT: "5", FHIRLEDGER_MAX_CHAIN_DEPTH: "1", FHIRLEDGER_MAX_OR_VALUES: "3", FHIRLEDGER_MAX_BODY_BYTES: "4096", FHIRLEDGER_MAX_INCLUDE_DEPTH: "1" },
    });
    for (let i = 0; i < 8; i++) await server.json("/Patient", { method: "POST", body: JSON.stringify({ resourceType: "Patient", name: [{ family: `Limit${i}` }] }) });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("answers each exceeded cap with a clear OperationOutcome and stores nothing", async () => {
    const entry = { resource: { resourceType: "Basic", code: { text: "x" } }, request: { method: "POST", url: "Basic" } };
    const tooMany = await server.json<{ resourceType: string; issue: { diagnostics: string }[] }>("/", { method: "POST", body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [entry, entry, entry] }) });
    expect([400, 413]).toContain(tooMany.status);
    expect(tooMany.body.resourceType).toBe("OperationOutcome");
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(0);

    const big = await server.json<{ resourceType: string }>("/Patient", { method: "POST", body: JSON.stringify({ resourceType: "Patient", text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(5000)}</div>` } }) });
    expect(big.status).toBe(413);
    expect(big.body.resourceType).toBe("OperationOutcome");

    const page = await server.json<{ total: number; entry: unknown[]; link: { relation: string }[] }>("/Patient?_count=50");
    expect(page.status).toBe(200);
    expect(page.body.entry.length).toBe(5);
    expect(page.body.total).toBe(8);
    expect(page.body.link.some((l) => l.relation === "next")).toBe(true);

    const deepChain = await server.json<{ resourceType: string }>("/Observation?subject:Patient.organization.name=x");
    expect(deepChain.status).toBe(400);
    expect(deepChain.body.resourceType).toBe("OperationOutcome");
    const manyOr = await server.json("/Patient?family=a,b,c,d");
    expect(manyOr.status).toBe(400);
    expect((await server.json("/Patient?family=a,b,c")).status).toBe(200);
  });
});
