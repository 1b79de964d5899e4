import type { Log } from "ethers";
import { describe, expect, it } from "vitest";
import { devChainReasons } from "./devChain.ts";
import { readAnchorLog } from "./readAnchorLog.ts";

/** A fake RootAnchored log: root and prevRoot ride in the data, decoded by the test's decode. */
const log = (blockNumber: number, index: number, root: string, removed = false) =>
  ({ blockNumber, index, removed, data: root, topics: [] }) as unknown as Log;

describe("readAnchorLog", () => {
  it("reads every block from 0 to the head in ranges, halving a range the endpoint refuses, skipping removed logs", async () => {
    const asked: [number, number][] = [];
    const events = await readAnchorLog({
      head: 120_000,
      decode: (l) => ({ root: l.data, prevRoot: "0".repeat(64) }),
      getLogs: async (from, to) => {
        asked.push([from, to]);
        if (to - from + 1 > 30_000) throw new Error("query exceeds max block range");
        return [log(from, 0, `r${from}`), log(to, 1, `x${to}`, true)];
      },
    });
    // 50,000 refused, 25,000 accepted from then on; every block covered once, in order.
    const accepted = asked.filter(([from, to]) => to - from + 1 <= 30_000);
    expect(accepted[0]).toEqual([0, 24_999]);
    expect(accepted.at(-1)![1]).toBe(120_000);
    for (let i = 1; i < accepted.length; i++) expect(accepted[i]![0]).toBe(accepted[i - 1]![1] + 1);
    expect(events.map((e) => e.root)).toEqual(accepted.map(([from]) => `r${from}`));
    expect(events[1]).toEqual({ root: "r25000", prevRoot: "0".repeat(64), blockNumber: 25_000, logIndex: 0 });
  });

  it("throws, never answers an empty log, when even the smallest range fails", async () => {
    await expect(
      readAnchorLog({
        head: 10,
        decode: () => ({ root: "", prevRoot: "" }),
        getLogs: async () => {
          throw new Error("rate limited");
        },
      }),
    ).rejects.toThrow("rate limited");
  });
});

describe("devChainReasons", () => {
  it("names chain id 31337 and a public development key as the sender, and nothing else", () => {
    expect(devChainReasons({ chainId: 31337n, anchoredBy: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" })).toEqual([
      "chain id 31337 is that of anvil and Hardhat development chains",
      "the root was anchored by anvil/Hardhat development account #0 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266), whose private key is public",
    ]);
    expect(devChainReasons({ chainId: 1n, anchoredBy: "0x0000000000000000000000000000000000000001" })).toEqual([]);
    expect(devChainReasons({ chainId: null, anchoredBy: null })).toEqual([]);
  });
});
