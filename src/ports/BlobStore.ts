/**
 * A store's local block file that another thread of this process may write raw blocks into
 * directly (the preparation worker seals records and stores them there itself); the store
 * reads those rows as its own.
 */
export interface DirectBlockWrites {
  /** The SQLite block file (the adapters' SqliteBlocks layout): raw blocks keyed by multihash. */
  blocksPath: string;
}

/** Content-addressed storage of opaque (already encrypted) bytes. */
export interface BlobStore {
  /** Stores bytes and returns their CID (string form, CIDv1). */
  put(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<string>;
  /** Returns the bytes for a CID; throws FhirLedgerError "not-found" when absent. Adapters re-hash on read. */
  get(cid: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
  /**
   * Optional blocking read for bulk jobs (rebuild) on local stores: one system call instead
   * of four event-loop round trips per small block. Same errors as get.
   */
  getSync?(cid: string): Uint8Array;
  /**
   * Capability: where another thread may write blocks without going through this store;
   * absent (or undefined) on stores that must see every put themselves (remote, in-memory).
   */
  directBlockWrites?(): DirectBlockWrites | undefined;
  /** Unpins/removes the blob; absent blobs are not an error. */
  delete(cid: string): Promise<void>;
  close(): Promise<void>;
}
