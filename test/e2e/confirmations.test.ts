import { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("anchoring waits for the configured confirmations", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_CHAIN_CONFIRMATIONS: "3" } });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("reports pending until the anchoring block has 3 confirmations, then verified", async () => {
    const { body } = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient" }),
    });
    const verified = await eventually(async () => {
      const res = await server.json(`/Patient/${body.id}/$verify`);
      return param(res.body, "verdict") === "verified" ? res.body : undefined;
    }, 20_000);
    const provider = new JsonRpcProvider(server.chain!.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const confirmations = (await provider.getBlockNumber()) - Number(param(verified, "blockNumber")) + 1;
    provider.destroy();
    expect(confirmations).toBeGreaterThanOrEqual(3);
  });
});
