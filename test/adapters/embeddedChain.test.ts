import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedChain } from "../../src/adapters/ledger/EmbeddedChain.ts";

describe("EmbeddedChain (anvil process)", () => {
  let dir: string;
  let chain: EmbeddedChain;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-embedded-"));
    chain = await EmbeddedChain.start({ stateDir: dir, port: 0 });
  });
  afterAll(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers JSON-RPC without CORS, so a web page the operator visits cannot drive the chain", async () => {
    const origin = "http://evil.example";
    // A browser asks first (JSON bodies are not "simple" requests); anvil's default allowed every origin.
    const preflight = await fetch(chain.rpcUrl, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.ok).toBe(false);
    const call = await fetch(chain.rpcUrl, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
    // Clients that are not browsers (the server, the verify CLI) are unaffected.
    expect(((await call.json()) as { result: string }).result).toBe("0x7a69");
  });
});
