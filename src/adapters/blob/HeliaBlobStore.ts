import { readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import type { Helia } from "helia";
import { CID } from "multiformats/cid";
import { equalBytes } from "../../crypto/equalBytes.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BlobStore } from "../../ports/BlobStore.ts";
import { BlockFiles } from "./blockFiles.ts";
import { rawCid } from "./rawCid.ts";
import { rawCidPath } from "./rawCidPath.ts";

/**
 * BlobStore on an embedded Helia node with a filesystem blockstore.
 * createHeliaLight has no libp2p and no routers, so the node never dials out (machines may be
 * offline); blocks are re-hashed on read, so a flipped byte on disk is reported, never served.
 */
export class HeliaBlobStore implements BlobStore {
  readonly #helia: Helia;
  /** The blockstore's files, read and written directly (same layout as Helia's). */
  readonly #files: BlockFiles;

  private constructor(helia: Helia, blocksDir: string) {
    this.#helia = helia;
    this.#files = new BlockFiles(blocksDir);
  }

  static async open(options: { repoDir: string }): Promise<HeliaBlobStore> {
    await mkdir(options.repoDir, { recursive: true, mode: 0o700 });
    const blocksDir = join(options.repoDir, "blocks");
    // The blockstore's default layout, which BlockFiles reads and writes directly.
    const blockstore = new FsBlockstore(blocksDir, { shardingStrategy: new NextToLast() });
    const datastore = new FsDatastore(join(options.repoDir, "datastore"));
    await blockstore.open();
    await datastore.open();
    const helia = await createHeliaLight({ blockstore, datastore });
    return new HeliaBlobStore(helia, blocksDir);
  }

  async put(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    // No Helia pin per block: pinning costs a datastore write per record (5x slower puts) and
    // this node never garbage-collects; the index is what keeps a blob wanted, and erasure
    // deletes the block itself.
    return this.#files.write(bytes, options);
  }

  /** Where blocks live: a writer in another thread of this process may add blocks there (BlockFiles). */
  get blocksDir(): string {
    return this.#files.dir;
  }

  async get(cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const parsed = parseCid(cid);
    options.signal?.throwIfAborted();
    // Read the block file in one call: Helia's get checks `has` first and streams the file,
    // three times the system calls for blocks of a few KiB (rebuild and reads are I/O bound).
    const bytes = await readFile(this.#files.pathOf(parsed), options.signal ? { signal: options.signal } : {}).catch(notFound);
    return verified(parsed, bytes);
  }

  getSync(cid: string): Uint8Array {
    const raw = rawCidPath(cid);
    if (raw) {
      let bytes: Uint8Array;
      try {
        bytes = this.#files.readSync(raw.dir, raw.file);
      } catch (cause) {
        notFound(cause);
      }
      if (equalBytes(sha256(bytes), raw.digest)) return bytes;
      // Checked once more the plain way (whole-file read) before a mismatch is reported.
    }
    const parsed = parseCid(cid);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.#files.pathOf(parsed));
    } catch (cause) {
      notFound(cause);
    }
    return verified(parsed, bytes);
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

/** A missing block file is the port's "not-found"; any other failure stays what it is. */
function notFound(cause: unknown): never {
  if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new FhirLedgerError("not-found", "blob not found", { cause });
  throw cause;
}

/** Re-hash: the blockstore is files on disk that anyone with access could alter. */
function verified(cid: CID, bytes: Uint8Array): Uint8Array {
  if (!rawCid(bytes).equals(cid)) throw new FhirLedgerError("integrity", "blob content does not match its CID");
  return bytes;
}
