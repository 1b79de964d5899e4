import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AnchorReceipt, AnchorRequest, Ledger } from "../../src/ports/Ledger.ts";

/** What an adapter's test file hands the contract suite: a fresh ledger (no anchors yet) per call. */
export interface LedgerHarness {
  ledger: Ledger;
  cleanup: () => Promise<void>;
}

const bytes32 = () => new Uint8Array(randomBytes(32));
const ZERO = new Uint8Array(32);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function request(prevRoot: Uint8Array, size = 3): AnchorRequest {
  return { root: bytes32(), size, manifestDigest: bytes32(), prevRoot };
}

/** An anchor as plain comparable values (byte arrays as hex). */
function plain(a: AnchorReceipt & AnchorRequest) {
  return {
    chainId: a.chainId,
    contract: a.contract.toLowerCase(),
    txHash: a.txHash,
    blockNumber: a.blockNumber,
    root: hex(a.root),
    prevRoot: hex(a.prevRoot),
    size: a.size,
    manifestDigest: hex(a.manifestDigest),
  };
}

const expected = (r: AnchorRequest, receipt: AnchorReceipt) => plain({ ...receipt, ...r });

/** The behaviour every Ledger adapter must share (src/ports/Ledger.ts), as the Anchorer, $verify and rebuild rely on it. */
export function ledgerContract(name: string, factory: () => Promise<LedgerHarness>): void {
  describe(`Ledger contract: ${name}`, () => {
    const withLedger = (body: (ledger: Ledger) => Promise<void>) => async () => {
      const h = await factory();
      try {
        await body(h.ledger);
      } finally {
        await h.cleanup();
      }
    };

    it(
      "anchors a root and answers with a receipt of this chain and contract",
      withLedger(async (ledger) => {
        const chainId = await ledger.chainId();
        expect(typeof chainId).toBe("bigint");
        expect(await ledger.chainId()).toBe(chainId);
        const receipt = await ledger.anchor(request(ZERO));
        expect(receipt.chainId).toBe(chainId);
        expect(receipt.contract.toLowerCase()).toBe(ledger.contractAddress.toLowerCase());
        expect(receipt.txHash).toMatch(/^0x[0-9a-f]{64}$/);
        expect(Number.isInteger(receipt.blockNumber)).toBe(true);
        expect(await ledger.blockNumber()).toBeGreaterThanOrEqual(receipt.blockNumber);
      }),
    );

    it(
      "finds an anchored root again with everything the anchor said",
      withLedger(async (ledger) => {
        const first = request(ZERO, 1);
        const firstReceipt = await ledger.anchor(first);
        const second = request(first.root, 250);
        const receipt = await ledger.anchor(second);
        const found = await ledger.findAnchor(second.root);
        expect(found && plain(found)).toEqual(expected(second, receipt));
        expect(plain((await ledger.findAnchor(first.root))!)).toEqual(expected(first, firstReceipt));
      }),
    );

    it(
      "a block hint never hides an anchor: the right block, a wrong one, or none find the same",
      withLedger(async (ledger) => {
        const r = request(ZERO);
        const receipt = await ledger.anchor(r);
        const want = expected(r, receipt);
        expect(plain((await ledger.findAnchor(r.root, { blockNumber: receipt.blockNumber }))!)).toEqual(want);
        expect(plain((await ledger.findAnchor(r.root, { blockNumber: 0 }))!)).toEqual(want);
        expect(plain((await ledger.findAnchor(r.root, {}))!)).toEqual(want);
      }),
    );

    it(
      "answers null for a root it does not know, before and after other anchors",
      withLedger(async (ledger) => {
        expect(await ledger.findAnchor(bytes32())).toBeNull();
        await ledger.anchor(request(ZERO));
        expect(await ledger.findAnchor(bytes32())).toBeNull();
        expect(await ledger.findAnchor(bytes32(), { blockNumber: 1 })).toBeNull();
      }),
    );

    it(
      "lists no anchors when none were made, then every anchor in chain order",
      withLedger(async (ledger) => {
        expect(await ledger.listAnchors()).toEqual([]);
        const made: ReturnType<typeof expected>[] = [];
        let prev: Uint8Array = ZERO;
        for (const size of [1, 2, 3]) {
          const r = request(prev, size);
          made.push(expected(r, await ledger.anchor(r)));
          prev = r.root;
        }
        const listed = (await ledger.listAnchors()).map(plain);
        expect(listed).toEqual(made);
        const blocks = listed.map((a) => a.blockNumber);
        expect([...blocks].sort((a, b) => a - b)).toEqual(blocks);
      }),
    );

    it(
      "keeps the block number moving forward",
      withLedger(async (ledger) => {
        const before = await ledger.blockNumber();
        const receipt = await ledger.anchor(request(ZERO));
        expect(receipt.blockNumber).toBeGreaterThan(before);
        expect(await ledger.blockNumber()).toBeGreaterThanOrEqual(receipt.blockNumber);
      }),
    );
  });
}
