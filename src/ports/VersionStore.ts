import type { TransactionReceiptKey } from "./TransactionReceipts.ts";

declare const preparedSearchRows: unique symbol;

/**
 * Search rows extracted before the commit (on the preparation worker, off the main thread), in
 * the transport form the extraction and the search index adapter agree on. The port carries
 * them unopened: their format is not part of it.
 */
export type PreparedSearchRows = { readonly [preparedSearchRows]: true };

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

/** Where a resource stands now: its current version (perhaps a delete marker). */
export interface CurrentRow {
  rid: number;
  type: string;
  id: string;
  versionId: number;
  deleted: boolean;
  lastUpdated: string;
  compartment: string | null;
}

/** A new version, committed with its log leaf and its search rows in one transaction. */
export interface VersionWrite extends Omit<VersionRow, "leafSeq"> {
  leafHash: Uint8Array;
  /** Optimistic concurrency: the version this write replaces (0 for a create). */
  expectedPreviousVersion: number;
  /** The plaintext resource for search extraction (absent for deletes). */
  resource?: Record<string, unknown>;
  /** Its search rows, when already extracted (off the main thread); else the index extracts them. */
  searchRows?: PreparedSearchRows;
  /**
   * Every patient compartment this version is in (any compartment parameter names the patient),
   * `compartment` (whose key encrypts it) among them, and the names it gives patients by
   * identifier (`Patient?identifier=…`, see patientNamesOf). Kept for the resource as long as
   * it exists: erasing any of them removes the resource, even when its current version no
   * longer names that patient. A store keeps the identifier names blinded (they hold
   * identifier values).
   */
  compartments?: readonly string[];
}

/** What an erasure removed. */
export interface ErasedCompartment {
  resources: { type: string; id: string }[];
  versions: number;
  /** The CIDs of the removed versions' blobs (the caller unpins them). */
  cids: string[];
}

/**
 * The versions of every resource and which one is current. A commit is atomic: the version, its
 * log leaf (queued for anchoring), its search rows and, for a FHIR transaction with an
 * idempotency key, the transaction's receipt are all written or none is.
 */
export interface VersionStore {
  current(type: string, id: string): Promise<CurrentRow | null>;
  version(type: string, id: string, versionId: number): Promise<VersionRow | null>;
  /** The current version (deleted or not) with its leaf hash, in one lookup; null when unknown. */
  currentVersion(type: string, id: string): Promise<VersionRow | null>;
  /** One version; a "conflict" error when `expectedPreviousVersion` is not the current one. */
  commit(write: VersionWrite): Promise<VersionRow>;
  /**
   * Several versions in one transaction: all are committed or none (FHIR transactions). With a
   * `receipt`, its row is inserted in the same transaction; a key already there is a "conflict"
   * and nothing is written (the transaction was committed before).
   */
  commitMany(writes: VersionWrite[], receipt?: TransactionReceiptKey): Promise<VersionRow[]>;
  /**
   * Erasure: removes every resource with a version in the compartment (as its `compartment`
   * or among its `compartments`), every resource any version of which named the patient by one
   * of `namedBy` (the patient's identifier names, among its `compartments`), and the resources
   * in `also` (all their versions and search rows), and returns the CIDs of their blobs. Log
   * leaves stay: they reveal nothing. What was removed is gone from the store's files too, not
   * only from its answers (no copy left in a journal or freed pages).
   */
  eraseCompartment(
    compartment: string,
    also?: readonly { type: string; id: string }[],
    namedBy?: readonly string[],
  ): Promise<ErasedCompartment>;
}
