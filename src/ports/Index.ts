import type { RowSlice } from "../fhir/search/packedRows.ts";
import type { SearchRequest } from "../fhir/search/SearchRequest.ts";
import type { HistoryIndex } from "./HistoryIndex.ts";

/** Names a transaction for idempotency: its Bundle.identifier and a hash of its content. */
export interface TransactionReceiptKey {
  key: string;
  requestHash: string;
}

/** What the index remembers of a transaction committed with an idempotency key. */
export interface TransactionReceipt extends TransactionReceiptKey {
  committedAt: string;
  /** The response kept after the commit (deflated JSON); null when the server stopped first. */
  response: Uint8Array | null;
}

/** One stored version of a resource, as the index knows it (no clinical content). */
export interface VersionRow {
  type: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  /** CID of the encrypted envelope; null for a delete marker. */
  cid: string | null;
  /** SHA-256 of the canonical plaintext (hex). */
  contentHash: string;
  keyId: string | null;
  compartment: string | null;
  leafSeq: number;
  /**
   * The version created the resource through update (`PUT [type]/[id]`, an id the client chose),
   * not through create: history shows that PUT. Absent on versions written before it was kept.
   */
  createdByUpdate?: boolean;
  /** The version's log leaf hash, when the query fetched it along (saves a lookup on reads). */
  leafHash?: Uint8Array;
}

export interface CurrentRow {
  rid: number;
  type: string;
  id: string;
  versionId: number;
  deleted: boolean;
  lastUpdated: string;
  compartment: string | null;
}

/** A new version, committed with its log leaf in one transaction. */
export interface VersionWrite extends Omit<VersionRow, "leafSeq"> {
  leafHash: Uint8Array;
  /** Optimistic concurrency: the version this write replaces (0 for a create). */
  expectedPreviousVersion: number;
  /** The plaintext resource for search extraction (absent for deletes). */
  resource?: Record<string, unknown>;
  /** Its search rows, when already extracted (off the main thread); else the index extracts them. */
  searchRows?: RowSlice;
}

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

/**
 * The anchoring outbox: log leaves waiting for a batch, batches on their way to the chain, and
 * the inclusion paths of anchored ones. The first part of the Index split: the Anchorer needs
 * nothing else.
 */
export interface AnchoringOutbox {
  /** Leaves not yet in a batch, oldest first. */
  pendingLeaves(limit: number): PendingLeaf[];
  /** Records a batch as "sending" and assigns its leaves, before the transaction is sent. */
  openBatch(
    batch: Omit<BatchRow, "batchId" | "state" | "chainId" | "contract" | "txHash" | "blockNumber" | "anchoredAt">,
  ): BatchRow;
  /** Marks the batch anchored and stores each leaf's inclusion path. */
  completeBatch(
    batchId: number,
    receipt: { chainId: string; contract: string; txHash: string; blockNumber: number },
    paths: Uint8Array[][],
  ): void;
  batches(state?: BatchState): BatchRow[];
  lastAnchoredRoot(): Uint8Array | null;
  /** Puts a batch's leaves back in the queue (its root is not on chain); returns how many. */
  requeueBatch(batchId: number): number;
  leafProof(seq: number): LeafProof | null;
  leavesOfBatch(batchId: number): PendingLeaf[];
  /** pendingLeaves counts every leaf not yet in an anchored batch. */
  stats(): { pendingLeaves: number; oldestPendingAt: string | null; batches: number; versions: number };
}

/** The derived, rebuildable index: versions, current pointers, the anchoring outbox. */
export interface Index extends HistoryIndex, AnchoringOutbox {
  current(type: string, id: string): CurrentRow | null;
  version(type: string, id: string, versionId: number): VersionRow | null;
  /** The current version (deleted or not) with its leaf hash, in one lookup; null when unknown. */
  currentVersion(type: string, id: string): VersionRow | null;
  commit(write: VersionWrite): VersionRow;
  /**
   * Several versions in one transaction: all are committed or none (FHIR transactions). With a
   * `receipt`, its row is inserted in the same transaction; a key already there is a "conflict"
   * and nothing is written (the transaction was committed before).
   */
  commitMany(writes: VersionWrite[], receipt?: TransactionReceiptKey): VersionRow[];
  /** The receipt of a committed transaction with this idempotency key, or null. */
  transactionReceipt(key: string): TransactionReceipt | null;
  /** Keeps the response of a committed transaction beside its receipt (for repeats). */
  keepTransactionResponse(key: string, response: Uint8Array): void;
  /**
   * Erasure: removes every resource with a version in the compartment (all its versions and
   * search rows) and returns the CIDs of their blobs. Log leaves stay: they reveal nothing.
   */
  eraseCompartment(compartment: string): {
    resources: { type: string; id: string }[];
    versions: number;
    cids: string[];
  };
  /** Runs a parsed search; returns the current versions of a page of matches and of what it includes. */
  search(request: SearchRequest, options?: SearchOptions): SearchPage;
  /** Rebuild: writes one anchored batch, its leaves and their versions, in one transaction. */
  restoreBatch(input: RestoreBatch): void;
  close(): void;
}

/** One anchored batch as read back from chain + IPFS during a rebuild. */
export interface RestoreBatch {
  batch: Omit<BatchRow, "batchId" | "state" | "firstSeq" | "lastSeq" | "anchoredAt"> & {
    chainId: string;
    contract: string;
    txHash: string;
    blockNumber: number;
  };
  leaves: {
    leafHash: Uint8Array;
    version: (Omit<VersionRow, "leafSeq"> & { resource?: Record<string, unknown> }) | null;
  }[];
  paths: Uint8Array[][];
}

/** How a search is run, and the caps on what it may cost. */
export interface SearchOptions {
  /** Rounds of `:iterate` includes (default 3). */
  maxIncludeDepth?: number;
  /** Count every match (Bundle.total). */
  countTotal?: boolean;
  /** SQL terms the search may compile to (default 1000); more is a 400 `too-costly`. */
  maxTerms?: number;
  /** Resources `_include`/`_revinclude` may add to the page (default 10000); more are cut off (`includesTruncated`). */
  maxIncludes?: number;
}

/** One page of search results, as version rows (the records layer decrypts them). */
export interface SearchPage {
  matches: VersionRow[];
  included: VersionRow[];
  /** Number of matches over all pages, when asked for. */
  total: number | null;
  /** Cursor continuing after this page; null on the last page. */
  nextCursor: string | null;
  /** Includes stopped at the include depth limit or at `maxIncludes` with more still to add. */
  includesTruncated?: boolean;
}
