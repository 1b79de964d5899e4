import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import type { Helia } from "helia";
import { CID } from "multiformats/cid";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BlobStore } from "../../ports/BlobStore.ts";
import { rawCid } from "./rawCid.ts";

/**
 * BlobStore on an embedded Helia node with a filesystem blockstore.
 * createHeliaLight has no libp2p and no routers, so the node never dials out (machines may be
 * offline); blocks are re-hashed on read, so a flipped byte on disk is reported, never served.
 */
export class HeliaBlobStore implements BlobStore {
  readonly #helia: Helia;

  private constructor(helia: Helia) {
    this.#helia = helia;
  }

  static async open(options: { repoDir: string }): Promise<HeliaBlobStore> {
    await mkdir(options.repoDir, { recursive: true, mode: 0o700 });
    const blockstore = new FsBlockstore(join(options.repoDir, "blocks"));
    const datastore = new FsDatastore(join(options.repoDir, "datastore"));
    await blockstore.open();
    await datastore.open();
    const helia = await createHeliaLight({ blockstore, datastore });
    return new HeliaBlobStore(helia);
  }

  async put(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    const cid = rawCid(bytes);
    // No Helia pin per block: pinning costs a datastore write per record (5x slower puts) and
    // this node never garbage-collects; the index is what keeps a blob wanted, and erasure
    // deletes the block itself.
    await this.#helia.blockstore.put(cid, bytes, options);
    return cid.toString();
  }

  async get(cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const parsed = parseCid(cid);
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of this.#helia.blockstore.get(parsed, { ...options, offline: true } as never)) chunks.push(chunk);
    } catch (cause) {
      // Offline Helia reports a missing block with a generic error: ask the store which it was.
      if (!(await this.#helia.blockstore.has(parsed))) throw new FhirLedgerError("not-found", "blob not found", { cause });
      throw cause;
    }
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    // Re-hash: the blockstore is files on disk that anyone with access could alter.
    if (!rawCid(bytes).equals(parsed)) throw new FhirLedgerError("integrity", "blob content does not match its CID");
    return bytes;
  }

  async has(cid: string): Promise<boolean> {
    return this.#helia.blockstore.has(parseCid(cid));
  }

  async delete(cid: string): Promise<void> {
    const parsed = parseCid(cid);
    if (await this.#helia.pins.isPinned(parsed)) {
      for await (const _ of this.#helia.pins.rm(parsed)) { /* drain */ }
    }
    if (await this.#helia.blockstore.has(parsed)) await this.#helia.blockstore.delete(parsed);
  }

  async close(): Promise<void> {
    await this.#helia.stop();
    const { blockstore, datastore } = this.#helia as unknown as { blockstore: { close?: () => Promise<void> }; datastore: { close?: () => Promise<void> } };
    await blockstore.close?.().catch(() => undefined);
    await datastore.close?.().catch(() => undefined);
  }
}

function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (cause) {
    throw new FhirLedgerError("invalid", "not a CID", { cause });
  }
}
