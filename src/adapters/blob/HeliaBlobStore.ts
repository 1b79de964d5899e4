import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import type { ShardingStrategy } from "blockstore-fs/sharding";
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
  readonly #sharding: ShardingStrategy;
  readonly #blocksDir: string;
  /** Shard directories known to exist. */
  readonly #dirs = new Set<string>();
  #temps = 0;

  private constructor(helia: Helia, sharding: ShardingStrategy, blocksDir: string) {
    this.#helia = helia;
    this.#sharding = sharding;
    this.#blocksDir = blocksDir;
  }

  static async open(options: { repoDir: string }): Promise<HeliaBlobStore> {
    await mkdir(options.repoDir, { recursive: true, mode: 0o700 });
    const blocksDir = join(options.repoDir, "blocks");
    // The blockstore's default layout, held here too so reads can go straight to the file.
    const sharding = new NextToLast();
    const blockstore = new FsBlockstore(blocksDir, { shardingStrategy: sharding });
    const datastore = new FsDatastore(join(options.repoDir, "datastore"));
    await blockstore.open();
    await datastore.open();
    const helia = await createHeliaLight({ blockstore, datastore });
    return new HeliaBlobStore(helia, sharding, blocksDir);
  }

  async put(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    const cid = rawCid(bytes);
    // Written the way blockstore-fs writes (same sharded path, temp file then rename, so a
    // crash never leaves a partial block) minus its mkdir per block, which cost more than the
    // write. No Helia pin per block: pinning costs a datastore write per record (5x slower
    // puts) and this node never garbage-collects; the index is what keeps a blob wanted, and
    // erasure deletes the block itself.
    const { dir, file } = this.#sharding.encode(cid);
    const dirPath = join(this.#blocksDir, dir);
    if (!this.#dirs.has(dir)) {
      await mkdir(dirPath, { recursive: true });
      this.#dirs.add(dir);
    }
    const target = join(dirPath, file);
    const temp = `${target}.${process.pid}-${(this.#temps += 1)}.tmp`;
    try {
      await writeFile(temp, bytes, options.signal ? { signal: options.signal } : {});
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return cid.toString();
  }

  async get(cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const parsed = parseCid(cid);
    // Read the block file in one call: Helia's get checks `has` first and streams the file,
    // three times the system calls for blocks of a few KiB (rebuild and reads are I/O bound).
    const { dir, file } = this.#sharding.encode(parsed);
    let bytes: Uint8Array;
    try {
      options.signal?.throwIfAborted();
      bytes = await readFile(join(this.#blocksDir, dir, file), options.signal ? { signal: options.signal } : {});
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new FhirLedgerError("not-found", "blob not found", { cause });
      throw cause;
    }
    // Re-hash: the blockstore is files on disk that anyone with access could alter.
    if (!rawCid(bytes).equals(parsed)) throw new FhirLedgerError("integrity", "blob content does not match its CID");
    return bytes;
  }

  getSync(cid: string): Uint8Array {
    const parsed = parseCid(cid);
    const { dir, file } = this.#sharding.encode(parsed);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(join(this.#blocksDir, dir, file));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new FhirLedgerError("not-found", "blob not found", { cause });
      throw cause;
    }
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
