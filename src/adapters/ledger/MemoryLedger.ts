import { createHash } from "node:crypto";
import type { AnchorReceipt, AnchorRequest, Ledger } from "../../ports/Ledger.ts";

/** In-memory Ledger for unit tests and the bench baseline ("cost of trust"). */
export class MemoryLedger implements Ledger {
  readonly contractAddress = "0x0000000000000000000000000000000000000000";
  readonly #anchors = new Map<string, AnchorReceipt & AnchorRequest>();
  #block = 0;
  /** When set, anchor() fails: simulates an unreachable chain. */
  down = false;
  /** When set, anchor() records the root and then fails: a transaction mined whose receipt was lost. */
  loseReceipts = false;
  /** Roots anchored so far, in order (duplicates would show a double anchoring). */
  readonly anchoredLog: string[] = [];

  async chainId(): Promise<bigint> {
    return 0n;
  }

  async blockNumber(): Promise<number> {
    return this.#block;
  }

  async anchor(request: AnchorRequest): Promise<AnchorReceipt> {
    if (this.down) throw new Error("memory ledger is down");
    this.#block += 1;
    const txHash = `0x${createHash("sha256").update(request.root).update(String(this.#block)).digest("hex")}`;
    const receipt = { chainId: 0n, contract: this.contractAddress, txHash, blockNumber: this.#block };
    const key = Buffer.from(request.root).toString("hex");
    this.#anchors.set(key, { ...receipt, ...request });
    this.anchoredLog.push(key);
    if (this.loseReceipts) throw new Error("connection lost before the receipt arrived");
    return receipt;
  }

  async findAnchor(root: Uint8Array): Promise<(AnchorReceipt & AnchorRequest) | null> {
    return this.#anchors.get(Buffer.from(root).toString("hex")) ?? null;
  }

  async listAnchors(): Promise<(AnchorReceipt & AnchorRequest)[]> {
    return [...this.#anchors.values()];
  }

  /** Test hook: forget every anchor (a wiped chain). */
  wipe(): void {
    this.#anchors.clear();
    this.anchoredLog.length = 0;
  }

  /** Test hook: forget the newest `count` anchors (a chain killed before it saved its last blocks). */
  forgetLatest(count: number): void {
    for (const key of this.anchoredLog.splice(-count, count)) this.#anchors.delete(key);
  }

  async close(): Promise<void> {}
}
