import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import type { AnchorReceipt } from "../../src/ports/Ledger.ts";
import { eventually, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/** A hosted RPC endpoint carries its API key in the path. */
const API_KEY = "fake-api-key-5f1d2c3b4a";
const RPC_URL = `https://rpc.example.test/v3/${API_KEY}`;

/** A chain that fails the way a JSON-RPC client reports it: with the endpoint's URL in the message. */
class UnreachableLedger extends MemoryLedger {
  override async anchor(): Promise<AnchorReceipt> {
    throw new Error(`request to ${RPC_URL} failed, reason: connect ECONNREFUSED 127.0.0.1:8545 (url="${RPC_URL}")`);
  }
}

interface Outcome {
  resourceType: string;
  issue: { code: string }[];
}

describe("/health and /metrics: public codes, details and figures behind authentication", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { ledger: new UnreachableLedger() } });
    const created = await server.json("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Waiting" }] }),
    });
    expect(created.status).toBe(201);
    await eventually(async () => ((await server.anchorer.status()).consecutiveFailures >= 1 ? true : undefined));
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("answers anyone with the status and a code per check only: no error message, no URL, no key", async () => {
    const res = await fetch(`${server.baseUrl}/health`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toEqual({ status: "degraded", checks: { anchoring: "failing" } });
    for (const secret of [API_KEY, "rpc.example.test", "ECONNREFUSED", "8545"]) expect(text).not.toContain(secret);
  });

  it("gives an authenticated caller the figures and the last error, with the URL cut to scheme and host", async () => {
    const res = await server.json<{
      status: string;
      checks: Record<string, string>;
      chain: { contract: string };
      anchoring: { pendingLeaves: number; consecutiveFailures: number; lastError: string };
    }>("/health");
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ anchoring: "failing" });
    expect(res.body.anchoring.pendingLeaves).toBeGreaterThanOrEqual(1);
    expect(res.body.anchoring.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(res.body.anchoring.lastError).toContain("https://rpc.example.test/…");
    expect(res.body.anchoring.lastError).toContain("ECONNREFUSED");
    expect(JSON.stringify(res.body)).not.toContain(API_KEY);
  });

  it("refuses a wrong token on /health (401) instead of ignoring it", async () => {
    const res = await server.request("/health", { headers: { authorization: "Bearer not-the-token-0123456789" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(((await res.json()) as Outcome).resourceType).toBe("OperationOutcome");
  });

  it("serves /metrics only to an authenticated caller (401 with WWW-Authenticate otherwise)", async () => {
    for (const authorization of [undefined, "Bearer not-the-token-0123456789"]) {
      const res = await fetch(`${server.baseUrl}/metrics`, authorization ? { headers: { authorization } } : {});
      const text = await res.text();
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect((JSON.parse(text) as Outcome).issue[0]!.code).toBe("login");
      expect(text).not.toContain("fhirledger_anchor");
    }
    const res = await server.request("/metrics");
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^fhirledger_anchor_consecutive_failures [1-9]\d*$/m);
  });
});
