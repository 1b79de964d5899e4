import { describe, expect, it } from "vitest";
import { deployContracts } from "./deployContracts.ts";

describe("deployContracts against an unreachable endpoint", () => {
  it("names the endpoint without the API key a hosted RPC URL carries in its path or query", async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const rpcUrl = "http://user:pw@127.0.0.1:9/v3/SECRETKEY123?apikey=SECRETQUERY456";
    const error = await deployContracts({ rpcUrl, privateKey: `0x${"11".repeat(32)}` }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:9/);
    expect(error?.message).not.toMatch(/SECRETKEY123|SECRETQUERY456|pw@/);
  });
});
