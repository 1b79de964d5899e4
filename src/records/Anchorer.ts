import { equalBytes } from "../crypto/equalBytes.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { inclusionProofs } from "../merkle/inclusionProofs.ts";
import { merkleRoot } from "../merkle/merkleRoot.ts";
import type { BlobStore } from "../ports/BlobStore.ts";
import type { AnchoringOutbox, AnchorReceipt, BatchRow } from "../ports/AnchoringOutbox.ts";
import type { KeyStore } from "../ports/KeyStore.ts";
import type { Ledger } from "../ports/Ledger.ts";
import type { Logger } from "../ports/Logger.ts";
import { buildManifest, sealManifest } from "./manifest.ts";

export interface AnchorerOptions {
  index: AnchoringOutbox;
  blobs: BlobStore;
  keys: KeyStore;
  ledger: Ledger;
  intervalMs: number;
  maxBatch: number;
  log?: Logger;
  /** Longest pause between retries while the chain is unreachable. */
  maxBackoffMs?: number;
}

export interface AnchorerStatus {
  pendingLeaves: number;
  oldestPendingAgeMs: number | null;
  batches: number;
  lastAnchoredAt: string | null;
  consecutiveFailures: number;
  lastError: string | null;
}

const ZERO_ROOT = new Uint8Array(32);

/**
 * Off the request path: batches pending log leaves into an RFC 6962 tree, stores the encrypted
 * manifest, anchors the root with one transaction, then stores each leaf's inclusion path.
 * A batch is recorded as "sending" before its transaction, so after a crash it is looked up on
 * chain and either completed or sent again: each acknowledged write is anchored exactly once.
 */
export class Anchorer {
  readonly #o: AnchorerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;
  #failures = 0;
  #lastError: string | null = null;
  #lastAnchoredAt: string | null = null;
  /** Ticks, flushes and reconciliation never overlap: two builders would batch the same leaves. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AnchorerOptions) {
    this.#o = options;
  }

  /** Checks what the chain knows against the index, then starts the batching loop. */
  async start(): Promise<void> {
    await this.reconcile();
    this.#stopped = false;
    this.#schedule(this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /**
   * Start-up check: anchored batches whose root the chain no longer knows (a wiped dev chain,
   * or one killed before it saved its last blocks) have their leaves queued again; then batches
   * left "sending" are completed if their root is on chain, sent again if they follow the newest
   * batch the chain still holds, and queued again otherwise, so the roots on chain stay one
   * prevRoot-linked log (fhirledger verify refuses a root outside it).
   */
  async reconcile(): Promise<{ completed: number; resent: number; requeuedLeaves: number }> {
    return this.#exclusive(() => this.#reconcile());
  }

  async #reconcile(): Promise<{ completed: number; resent: number; requeuedLeaves: number }> {
    let requeuedLeaves = 0;
    const contract = this.#o.ledger.contractAddress.toLowerCase();
    const anchored = await this.#o.index.batches("anchored");
    const roots = new Set(anchored.length > 0 ? (await this.#o.ledger.listAnchors()).map((a) => toHex(a.root)) : []);
    let newest: Uint8Array = ZERO_ROOT;
    for (const batch of anchored) {
      const known = batch.contract?.toLowerCase() === contract && roots.has(toHex(batch.root));
      if (known) newest = batch.root;
      else requeuedLeaves += await this.#o.index.requeueBatch(batch.batchId);
    }
    const { completed, resent, rebuilt, rebuiltLeaves } = await this.#settleSending(newest);
    if (requeuedLeaves > 0) {
      this.#log(
        "warn",
        `chain no longer holds the anchors of ${requeuedLeaves} record versions (chain state lost or contract replaced); anchoring them again`,
      );
    }
    if (completed + resent + rebuilt > 0)
      this.#log(
        "info",
        `recovered ${completed + resent + rebuilt} interrupted anchoring batches (${completed} found on chain, ${resent} sent again, ${rebuilt} queued again because the root they followed is no longer on chain)`,
      );
    return { completed, resent, requeuedLeaves: requeuedLeaves + rebuiltLeaves };
  }

  /**
   * Batches recorded as "sending" whose outcome is unknown (crash, lost receipt, chain down):
   * completed when the chain has the root, sent again when it does not. Never a second batch
   * for the same leaves, so a retry can't anchor a write twice.
   *
   * `follows` (at start-up): the root of the newest batch the chain still holds (zero for none).
   * A batch not on chain that names another previous root, one the chain lost, is not sent but
   * queued again, to be rebuilt after `follows`: sent as it was, it would hang off a root that
   * is not there and break the log's prevRoot chain.
   */
  async #settleSending(
    follows?: Uint8Array,
  ): Promise<{ completed: number; resent: number; rebuilt: number; rebuiltLeaves: number }> {
    let completed = 0;
    let resent = 0;
    let rebuilt = 0;
    let rebuiltLeaves = 0;
    for (const batch of await this.#o.index.batches("sending")) {
      const onChain = await this.#o.ledger.findAnchor(batch.root);
      if (onChain) {
        await this.#complete(batch, {
          chainId: onChain.chainId.toString(),
          contract: onChain.contract,
          txHash: onChain.txHash,
          blockNumber: onChain.blockNumber,
        });
        completed += 1;
      } else if (follows !== undefined && !equalBytes(batch.prevRoot, follows)) {
        rebuiltLeaves += await this.#o.index.requeueBatch(batch.batchId);
        rebuilt += 1;
      } else {
        await this.#send(batch);
        resent += 1;
      }
    }
    return { completed, resent, rebuilt, rebuiltLeaves };
  }

  /** Anchors everything pending now (tests, shutdown); throws when the chain is unreachable. */
  async flush(): Promise<number> {
    return this.#exclusive(() => this.#flush());
  }

  async #flush(): Promise<number> {
    await this.#settleSending();
    let anchored = 0;
    for (;;) {
      const n = await this.#cycle();
      anchored += n;
      if (n === 0) return anchored;
    }
  }

  async status(): Promise<AnchorerStatus> {
    const s = await this.#o.index.stats();
    return {
      pendingLeaves: s.pendingLeaves,
      oldestPendingAgeMs: s.oldestPendingAt ? Date.now() - Date.parse(s.oldestPendingAt) : null,
      batches: s.batches,
      lastAnchoredAt: this.#lastAnchoredAt,
      consecutiveFailures: this.#failures,
      lastError: this.#lastError,
    };
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#exclusive(() => this.#tick()).finally(() => {
        this.#running = null;
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    let delay = this.#o.intervalMs;
    try {
      await this.#settleSending();
      // Keep sending full batches back to back; wait the interval only once the queue is short.
      while (!this.#stopped && (await this.#cycle()) >= this.#o.maxBatch) {
        /* next batch */
      }
      this.#failures = 0;
      this.#lastError = null;
    } catch (error) {
      this.#failures += 1;
      this.#lastError = error instanceof Error ? error.message : String(error);
      delay = Math.min(this.#o.intervalMs * 2 ** this.#failures, this.#o.maxBackoffMs ?? 30_000);
      this.#log("warn", `anchoring failed (${this.#failures} in a row), retrying in ${delay} ms: ${this.#lastError}`);
    }
    this.#schedule(delay);
  }

  /** One batch: returns how many leaves it anchored (0 when nothing was pending). */
  async #cycle(): Promise<number> {
    const leaves = await this.#o.index.pendingLeaves(this.#o.maxBatch);
    if (leaves.length === 0) return 0;
    const leafHashes = leaves.map((l) => l.leafHash);
    const root = merkleRoot(leafHashes);
    const prevRoot = (await this.#o.index.lastAnchoredRoot()) ?? ZERO_ROOT;
    const sealed = await sealManifest(buildManifest(leaves, prevRoot), root, this.#o.keys);
    const manifestCid = await this.#o.blobs.put(sealed);
    const batch = await this.#o.index.openBatch({
      root,
      prevRoot,
      size: leaves.length,
      firstSeq: leaves[0]!.seq,
      lastSeq: leaves.at(-1)!.seq,
      manifestCid,
      manifestDigest: sha256(sealed),
    });
    await this.#send(batch, leafHashes);
    return leaves.length;
  }

  /** `leafHashes`: the batch's leaves in order when the caller has them (a new batch), else read back. */
  async #send(batch: BatchRow, leafHashes?: Uint8Array[]): Promise<void> {
    const receipt = await this.#o.ledger.anchor({
      root: batch.root,
      size: batch.size,
      manifestDigest: batch.manifestDigest,
      prevRoot: batch.prevRoot,
    });
    await this.#complete(
      batch,
      {
        chainId: receipt.chainId.toString(),
        contract: receipt.contract,
        txHash: receipt.txHash,
        blockNumber: receipt.blockNumber,
      },
      leafHashes,
    );
  }

  /**
   * Records the receipt and every leaf's inclusion path. A batch just built passes its leaves
   * (openBatch checked they are exactly the contiguous pending run, in seq order, which is the
   * leaf_index order): reading them back joined to their versions cost as much again as
   * pendingLeaves, on the main thread, for every batch of an import. A batch resumed after a
   * restart reads them from the index.
   */
  async #complete(batch: BatchRow, receipt: AnchorReceipt, leafHashes?: Uint8Array[]): Promise<void> {
    const hashes = leafHashes ?? (await this.#o.index.leavesOfBatch(batch.batchId)).map((l) => l.leafHash);
    await this.#o.index.completeBatch(batch.batchId, receipt, inclusionProofs(hashes));
    this.#lastAnchoredAt = new Date().toISOString();
    this.#log(
      "info",
      `anchored batch ${batch.batchId}: ${batch.size} leaves, root ${toHex(batch.root).slice(0, 16)}…, tx ${receipt.txHash}`,
    );
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #log(level: "info" | "warn" | "error", message: string): void {
    this.#o.log?.[level](message);
  }
}
