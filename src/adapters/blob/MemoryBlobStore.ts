import { CID } from "multiformats/cid";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BlobStore } from "../../ports/BlobStore.ts";
import { rawCid } from "./rawCid.ts";

/** In-memory BlobStore with the same CIDs as the IPFS adapters: for unit tests and the bench baseline. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(bytes: Uint8Array): Promise<string> {
    const cid = rawCid(bytes).toString();
    this.#blobs.set(cid, Uint8Array.from(bytes));
    return cid;
  }

  async get(cid: string): Promise<Uint8Array> {
    try {
      CID.parse(cid);
    } catch (cause) {
      throw new FhirLedgerError("invalid", "not a CID", { cause });
    }
    const bytes = this.#blobs.get(cid);
    if (!bytes) throw new FhirLedgerError("not-found", "blob not found");
    if (rawCid(bytes).toString() !== cid) throw new FhirLedgerError("integrity", "blob content does not match its CID");
    return Uint8Array.from(bytes);
  }

  async has(cid: string): Promise<boolean> {
    return this.#blobs.has(cid);
  }

  async delete(cid: string): Promise<void> {
    this.#blobs.delete(cid);
  }

  async close(): Promise<void> {}

  /** Test hook: direct access to stored bytes (to simulate tampering). */
  raw(cid: string): Uint8Array | undefined {
    return this.#blobs.get(cid);
  }
}
