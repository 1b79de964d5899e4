/**
 * Decrypted, checked plaintexts of versions, by CID, bounded in bytes (least recently used
 * out first). A CID names one envelope, so a version found here is the plaintext that
 * envelope decrypted to and that matched `contentHash` when it was cached; a hit still needs
 * the same content hash. Nothing goes stale: a new version has a new CID. Erasure removes the
 * erased CIDs before it lets writes and reads go on (RecordRepository.eraseCompartment), so the
 * cache never serves erased data.
 */
export class PlaintextCache {
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #entries = new Map<string, { contentHash: string; bytes: Uint8Array }>();
  #bytes = 0;

  constructor(options: { maxBytes: number; maxEntryBytes: number }) {
    this.#maxBytes = options.maxBytes;
    this.#maxEntryBytes = options.maxEntryBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(cid: string, contentHash: string): Uint8Array | undefined {
    const entry = this.#entries.get(cid);
    if (entry === undefined || entry.contentHash !== contentHash) return undefined;
    this.#entries.delete(cid);
    this.#entries.set(cid, entry);
    return entry.bytes;
  }

  set(cid: string, contentHash: string, bytes: Uint8Array): void {
    if (this.#maxBytes <= 0 || bytes.byteLength > this.#maxEntryBytes) return;
    this.delete(cid);
    this.#entries.set(cid, { contentHash, bytes });
    this.#bytes += bytes.byteLength;
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(cid: string): void {
    const entry = this.#entries.get(cid);
    if (entry === undefined) return;
    this.#entries.delete(cid);
    this.#bytes -= entry.bytes.byteLength;
  }
}
