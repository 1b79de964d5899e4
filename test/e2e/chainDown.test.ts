import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertChainPrivacy } from "../support/chainPrivacy.ts";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("chain unreachable", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_ANCHOR_INTERVAL_MS: "100" } });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("keeps accepting writes, reports the lag in /health and /metrics, and $verify says pending or unavailable", async () => {
    const before = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Anchoredfirst" }] }),
    });
    await server.anchorer.flush();
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    await assertChainPrivacy(server.chain!.rpcUrl, { strings: [before.body.id, "Anchoredfirst"], cids: [] });
    server.chain!.kill();

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.json<{ id: string }>("/Observation", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Observation", status: "final", code: { text: "while down" } }),
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // The figures are for an authenticated caller; anyone else hears the codes only.
    const health = await eventually(async () => {
      const res = await server.request("/health");
      const body = (await res.json()) as {
        status: string;
        anchoring: { pendingLeaves: number; consecutiveFailures: number; lastError: string | null };
      };
      return res.status === 503 && body.anchoring.consecutiveFailures >= 2 ? body : undefined;
    }, 20_000);
    expect(health.status).toBe("degraded");
    expect(health.anchoring.pendingLeaves).toBeGreaterThanOrEqual(5);
    expect(await (await fetch(`${server.baseUrl}/health`)).json()).toEqual({
      status: "degraded",
      checks: { anchoring: "failing" },
    });
    const metrics = await (await server.request("/metrics")).text();
    expect(metrics).toMatch(/^fhirledger_anchor_pending_leaves ([5-9]|\d\d+)$/m);
    expect(metrics).toMatch(/^fhirledger_anchor_consecutive_failures [1-9]\d*$/m);
    expect(Number(/^fhirledger_anchor_lag_seconds (\S+)$/m.exec(metrics)![1])).toBeGreaterThan(0);
    // reads still work; the new writes are pending, the earlier one is still provable from the index
    expect((await server.json(`/Observation/${ids[0]}`)).status).toBe(200);
    const pending = await server.json(`/Observation/${ids[0]}/$verify`);
    expect(param(pending.body, "verdict")).toBe("pending");
    // anchored before the chain went down: the chain cannot be asked, which is not "pending"
    const anchored = await server.json(`/Patient/${before.body.id}/$verify`);
    expect(anchored.status).toBe(200);
    expect(param(anchored.body, "verdict")).toBe("unavailable");
    expect(String(param(anchored.body, "reason"))).toContain("chain unreachable");
  });
});
