import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet, hexlify, toUtf8Bytes } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedChain } from "../../src/adapters/ledger/EmbeddedChain.ts";
import { assertChainPrivacy } from "./chainPrivacy.ts";

describe("assertChainPrivacy (the check every test server runs at close)", () => {
  let dir: string;
  let chain: EmbeddedChain;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "privacy-"));
    chain = await EmbeddedChain.start({ stateDir: dir, port: 0 });
  });
  afterAll(async () => {
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes a clean chain and catches an identifier or a CID digest in calldata", async () => {
    const cid = "bafkreibr7dpblpunhrzy577l43qd2av3stbz6cfoeqlgvpen52divjsfhi";
    expect(await assertChainPrivacy(chain.rpcUrl, { strings: ["Patient/abc-123"], cids: [cid] })).toMatchObject({
      transactions: 0,
    });
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    await (
      await wallet.sendTransaction({ to: wallet.address, data: hexlify(toUtf8Bytes("x:Patient/abc-123")) })
    ).wait();
    await expect(assertChainPrivacy(chain.rpcUrl, { strings: ["Patient/abc-123"], cids: [] })).rejects.toThrow(
      /calldata holds a forbidden value/,
    );
    // the binary digest of a CID is caught too, not just its text
    const { CID } = await import("multiformats/cid");
    await (await wallet.sendTransaction({ to: wallet.address, data: hexlify(CID.parse(cid).multihash.digest) })).wait();
    await expect(assertChainPrivacy(chain.rpcUrl, { strings: [], cids: [cid] })).rejects.toThrow(/forbidden/);
    provider.destroy();
  });
});
