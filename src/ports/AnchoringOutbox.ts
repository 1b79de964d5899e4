import type { VersionRow } from "./VersionStore.ts";

export interface PendingLeaf {
  seq: number;
  leafHash: Uint8Array;
  /** null once the version was erased: the leaf stays in the log, its content is gone. */
  version: VersionRow | null;
}

export type BatchState = "sending" | "anchored";

export interface BatchRow {
  batchId: number;
  root: Uint8Array;
  prevRoot: Uint8Array;
  size: number;
  firstSeq: number;
  lastSeq: number;
  manifestCid: string;
  manifestDigest: Uint8Array;
  state: BatchState;
  chainId: string | null;
  contract: string | null;
  txHash: string | null;
  blockNumber: number | null;
  anchoredAt: string | null;
}

/** What a batch is opened with, before it has an id, a state or a chain receipt. */
export type NewBatch = Omit<
  BatchRow,
  "batchId" | "state" | "chainId" | "contract" | "txHash" | "blockNumber" | "anchoredAt"
>;

/** Where a batch was anchored. */
export interface AnchorReceipt {
  chainId: string;
  contract: string;
  txHash: string;
  blockNumber: number;
}

export interface LeafProof {
  seq: number;
  leafHash: Uint8Array;
  batch: BatchRow | null;
  /** Position of the leaf in its batch and its RFC 6962 audit path; null while pending. */
  leafIndex: number | null;
  path: Uint8Array[] | null;
  /** Time the leaf was queued (ISO). */
  queuedAt: string;
}

export interface OutboxStats {
  /** Every leaf not yet in an anchored batch. */
  pendingLeaves: number;
  oldestPendingAt: string | null;
  batches: number;
  versions: number;
}

/**
 * The anchoring outbox: log leaves waiting for a batch (queued by `VersionStore` commits),
 * batches on their way to the chain, and the inclusion paths of anchored ones. The Anchorer
 * needs nothing else.
 */
export interface AnchoringOutbox {
  /** Leaves not yet in a batch, oldest first. */
  pendingLeaves(limit: number): Promise<PendingLeaf[]>;
  /**
   * Records a batch as "sending" and assigns its leaves (the pending run firstSeq..lastSeq),
   * before the transaction is sent; a "conflict" when those leaves are no longer all pending.
   */
  openBatch(batch: NewBatch): Promise<BatchRow>;
  /** Marks the batch anchored and stores each leaf's inclusion path (in leaf order). */
  completeBatch(batchId: number, receipt: AnchorReceipt, paths: Uint8Array[][]): Promise<void>;
  batches(state?: BatchState): Promise<BatchRow[]>;
  /** The root of the newest batch (sending or anchored), or null when there is none. */
  lastAnchoredRoot(): Promise<Uint8Array | null>;
  /** Puts a batch's leaves back in the queue (its root is not on chain); returns how many. */
  requeueBatch(batchId: number): Promise<number>;
  leafProof(seq: number): Promise<LeafProof | null>;
  leavesOfBatch(batchId: number): Promise<PendingLeaf[]>;
  stats(): Promise<OutboxStats>;
}
