import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

interface ResponseBundle {
  resourceType: string;
  type?: string;
  entry?: { resource?: unknown; response: { status: string; location?: string; etag?: string } }[];
  issue?: { diagnostics: string }[];
}

/** Transactions with an idempotency key (Bundle.identifier in urn:fhirledger:idempotency) are applied once. */
describe("transaction idempotency (Bundle.identifier)", () => {
  let server: TestServer;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    server.json<ResponseBundle>("/", { method: "POST", body: JSON.stringify(body), headers });
  const count = async (family: string) =>
    (await server.json<{ total: number }>(`/Patient?family:exact=${family}&_summary=count`)).body.total;
  const transaction = (family: string, key?: string, system = "urn:fhirledger:idempotency") => ({
    resourceType: "Bundle",
    type: "transaction",
    ...(key === undefined ? {} : { identifier: { system, value: key } }),
    entry: [
      {
        fullUrl: "urn:uuid:5f0c3c5e-0000-4000-8000-000000000001",
        resource: { resourceType: "Patient", name: [{ family }] },
        request: { method: "POST", url: "Patient" },
      },
      {
        resource: {
          resourceType: "Observation",
          status: "final",
          code: { text: family },
          subject: { reference: "urn:uuid:5f0c3c5e-0000-4000-8000-000000000001" },
        },
        request: { method: "POST", url: "Observation" },
      },
    ],
  });

  beforeAll(async () => {
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("answers a repeat with the first response and applies nothing again", async () => {
    const first = await post(transaction("IdemOnce", "key-once"), { prefer: "return=representation" });
    expect(first.status).toBe(200);
    expect(first.body.entry?.[0]?.resource).toBeDefined();
    const again = await post(transaction("IdemOnce", "key-once"));
    expect(again.status).toBe(200);
    expect(again.body.type).toBe("transaction-response");
    // the same ids and versions; no resources are kept with the receipt
    expect(again.body.entry?.map((e) => e.response)).toEqual(first.body.entry?.map((e) => e.response));
    expect(again.body.entry?.every((e) => e.resource === undefined)).toBe(true);
    expect(await count("IdemOnce")).toBe(1);
    expect((await server.json<{ total: number }>("/Observation?code:text=IdemOnce&_summary=count")).body.total).toBe(1);
  });

  it("applies concurrent repeats once", async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(transaction("IdemRace", "key-race"))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.entry?.[0]?.response.location)).size).toBe(1);
    expect(await count("IdemRace")).toBe(1);
  });

  it("refuses the same key on different content (409), and leaves other identifiers alone", async () => {
    expect((await post(transaction("IdemKeyA", "key-shared"))).status).toBe(200);
    const other = await post(transaction("IdemKeyB", "key-shared"));
    expect(other.status).toBe(409);
    expect(await count("IdemKeyB")).toBe(0);
    // another identifier system, or none: processed each time, as before
    for (let i = 0; i < 2; i++) {
      expect((await post(transaction("IdemOtherSystem", "x", "urn:example:source"))).status).toBe(200);
      expect((await post(transaction("IdemNone"))).status).toBe(200);
    }
    expect(await count("IdemOtherSystem")).toBe(2);
    expect(await count("IdemNone")).toBe(2);
    expect(
      (
        await post({
          ...transaction("IdemLong"),
          identifier: { system: "urn:fhirledger:idempotency", value: "k".repeat(300) },
        })
      ).status,
    ).toBe(400);
  });

  it("remembers a key only with a committed transaction: a failed one can be sent again", async () => {
    const invalid = transaction("IdemFailed", "key-failed");
    (invalid.entry[1]!.resource as Record<string, unknown>).status = 42; // the whole transaction fails
    expect((await post(invalid)).status).toBe(400);
    expect(await count("IdemFailed")).toBe(0);
    // no receipt was left behind: a corrected transaction with the same key is applied (not a 409)
    const fixed = await post(transaction("IdemFailed", "key-failed"));
    expect(fixed.status).toBe(200);
    expect(fixed.body.entry?.[0]?.response.status).toMatch(/^201/);
    expect(await count("IdemFailed")).toBe(1);
  });
});
