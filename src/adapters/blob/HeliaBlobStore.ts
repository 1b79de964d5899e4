import type { Dirent } from "node:fs";
import { mkdir, readdir, readFile, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import type { Helia } from "helia";
import { base32upper } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { equalBytes } from "../../crypto/equalBytes.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BlobStore, DirectBlockWrites } from "../../ports/BlobStore.ts";
import { rawCid } from "./rawCid.ts";
import { rawCidMultihash } from "./rawCidMultihash.ts";
import { SqliteBlockstore } from "./SqliteBlockstore.ts";
import { SqliteBlocks } from "./SqliteBlocks.ts";
import { WalCheckpointer } from "../sqlite/WalCheckpointer.ts";

/**
 * BlobStore on an embedded Helia node whose blockstore is one SQLite file (`blocks.db` in the
 * repo directory; see SqliteBlocks). createHeliaLight has no libp2p and no routers, so the
 * node never dials out (machines may be offline); blocks are re-hashed on read, so a flipped
 * byte on disk is reported, never served. A repo of an earlier layout (blockstore-fs files
 * under `blocks/`) is moved into the file when opened.
 */
export class HeliaBlobStore implements BlobStore {
  readonly #helia: Helia;
  /** The blockstore's rows, read and written directly (Helia reads the same ones). */
  readonly #blocks: SqliteBlocks;
  /** Copies the blocks' WAL back off the event loop (see WalCheckpointer). */
  readonly #checkpointer: WalCheckpointer;

  private constructor(helia: Helia, blocks: SqliteBlocks) {
    this.#helia = helia;
    this.#blocks = blocks;
    this.#checkpointer = new WalCheckpointer([blocks.path]);
  }

  static async open(options: { repoDir: string }): Promise<HeliaBlobStore> {
    await mkdir(options.repoDir, { recursive: true, mode: 0o700 });
    const blocks = new SqliteBlocks(join(options.repoDir, "blocks.db"));
    try {
      await migrateBlockFiles(join(options.repoDir, "blocks"), blocks);
      const datastore = new FsDatastore(join(options.repoDir, "datastore"));
      await datastore.open();
      const helia = await createHeliaLight({ blockstore: new SqliteBlockstore(blocks), datastore });
      return new HeliaBlobStore(helia, blocks);
    } catch (error) {
      blocks.close();
      throw error;
    }
  }

  async put(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    // No Helia pin per block: pinning costs a datastore write per record (5x slower puts) and
    // this node never garbage-collects; the index is what keeps a blob wanted, and erasure
    // deletes the block itself.
    return this.#blocks.putGrouped(bytes);
  }

  /** The blocks' SQLite file: a writer in another thread of this process may add blocks there (SqliteBlocks). */
  directBlockWrites(): DirectBlockWrites {
    return { blocksPath: this.#blocks.path };
  }

  async get(cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted();
    return this.getSync(cid);
  }

  getSync(cid: string): Uint8Array {
    const raw = rawCidMultihash(cid);
    if (raw) {
      const bytes = this.#blocks.get(raw.multihash) ?? notFound();
      if (!equalBytes(sha256(bytes), raw.digest)) throw integrityError();
      return bytes;
    }
    const parsed = parseCid(cid);
    return verified(parsed, this.#blocks.get(parsed.multihash.bytes) ?? notFound());
  }

  async has(cid: string): Promise<boolean> {
    return this.#blocks.has(parseCid(cid).multihash.bytes);
  }

  async delete(cid: string): Promise<void> {
    const parsed = parseCid(cid);
    if (await this.#helia.pins.isPinned(parsed)) {
      for await (const _ of this.#helia.pins.rm(parsed)) {
        /* drain */
      }
    }
    this.#blocks.delete(parsed.multihash.bytes);
  }

  async close(): Promise<void> {
    await this.#helia.stop();
    const { datastore } = this.#helia as unknown as { datastore: { close?: () => Promise<void> } };
    await datastore.close?.().catch(() => undefined);
    await this.#checkpointer.close();
    this.#blocks.close();
  }
}

/** Block files per transaction while migrating: bounded memory, few commits. */
const MIGRATE_BATCH = 512;

/**
 * Moves the block files of an earlier layout (blockstore-fs: `<shard>/<base32upper multihash>.data`)
 * into `blocks`, then removes them: each batch is committed before its files are unlinked, so
 * an interrupted migration resumes on the next open and loses nothing. Temp files of
 * interrupted writes (never renamed into place, so never a block) are removed; anything else
 * is left where it is.
 */
async function migrateBlockFiles(dir: string, blocks: SqliteBlocks): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  let batch: { path: string; multihash: Uint8Array; bytes: Uint8Array }[] = [];
  const flush = async () => {
    blocks.putKeyed(batch);
    for (const { path } of batch) await unlink(path);
    batch = [];
  };
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (entry.name.endsWith(".tmp")) {
      await unlink(path);
      continue;
    }
    const multihash = entry.name.endsWith(".data") ? multihashOfName(entry.name.slice(0, -".data".length)) : undefined;
    if (!multihash) continue;
    batch.push({ path, multihash, bytes: await readFile(path) });
    if (batch.length >= MIGRATE_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  // Shard directories first (deepest paths first), then the root; a directory still holding
  // something we did not recognise stays.
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => b.length - a.length);
  for (const d of [...dirs, dir]) await rmdir(d).catch(() => undefined);
}

function multihashOfName(name: string): Uint8Array | undefined {
  try {
    const multihash = base32upper.decode(name);
    Digest.decode(multihash); // a well-formed multihash, or not a block file
    return multihash;
  } catch {
    return undefined;
  }
}

function parseCid(cid: string): CID {
  try {
    return CID.parse(cid);
  } catch (cause) {
    throw new FhirLedgerError("invalid", "not a CID", { cause });
  }
}

function notFound(): never {
  throw new FhirLedgerError("not-found", "blob not found");
}

function integrityError(): FhirLedgerError {
  return new FhirLedgerError("integrity", "blob content does not match its CID");
}

/** Re-hash: the blockstore is a file on disk that anyone with access could alter. */
function verified(cid: CID, bytes: Uint8Array): Uint8Array {
  if (!rawCid(bytes).equals(cid)) throw integrityError();
  return bytes;
}
