import { DatabaseSync } from "node:sqlite";
import type { StatementSync } from "node:sqlite";
import { immediateTransaction } from "../sqlite/immediateTransaction.ts";
import { rawCid } from "./rawCid.ts";

/** Autocheckpoint every 32 MB of WAL (SQLite's default is 4 MB): a fsync per 32 MB of blocks, not per 4. */
const WAL_AUTOCHECKPOINT_PAGES = 8192;

/**
 * The embedded IPFS node's blocks in one SQLite file (WAL), keyed by multihash as
 * blockstore-fs keys its files (a block is the same block under any CID with its multihash).
 * One file instead of a file per block: creating, writing and renaming a block file cost
 * 130-190 µs of kernel time each on the target machine (92k blocks: 12-18 s of system CPU on
 * an idle machine, more under load), an insert ~10 µs. Blocks are written once and never
 * modified; `secure_delete` zeroes a deleted block's pages in the database file.
 *
 * Several connections (threads) may write the same file: transactions are short (inserts of
 * bytes already computed) and wait for each other through busy_timeout.
 */
export class SqliteBlocks {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #exists: StatementSync;
  readonly #remove: StatementSync;

  constructor(path: string) {
    this.path = path;
    this.#db = new DatabaseSync(path);
    this.#db.exec(
      "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; " +
        `PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}; PRAGMA journal_size_limit = 33554432;`,
    );
    // A rowid table: blocks are a few KiB, too large for a WITHOUT ROWID row; new blocks append.
    this.#db.exec("CREATE TABLE IF NOT EXISTS blocks (multihash BLOB NOT NULL PRIMARY KEY, bytes BLOB NOT NULL)");
    this.#insert = this.#db.prepare("INSERT OR IGNORE INTO blocks (multihash, bytes) VALUES (?, ?)");
    this.#select = this.#db.prepare("SELECT bytes FROM blocks WHERE multihash = ?");
    this.#exists = this.#db.prepare("SELECT 1 AS found FROM blocks WHERE multihash = ?");
    this.#remove = this.#db.prepare("DELETE FROM blocks WHERE multihash = ?");
  }

  /** Stores bytes as a raw block and returns its CIDv1 (raw, sha2-256). Storing a block twice keeps one. */
  put(bytes: Uint8Array): string {
    const cid = rawCid(bytes);
    this.#insert.run(cid.multihash.bytes, bytes);
    return cid.toString();
  }

  /** Stores several raw blocks in one transaction; their CIDs in order. */
  putAll(blocks: readonly Uint8Array[]): string[] {
    return immediateTransaction(this.#db, () => blocks.map((bytes) => this.put(bytes)));
  }

  /** Stores bytes under a multihash as given (blocks of other codecs, migrated block files): the caller vouches for the key. */
  putKeyed(entries: readonly { multihash: Uint8Array; bytes: Uint8Array }[]): void {
    immediateTransaction(this.#db, () => {
      for (const { multihash, bytes } of entries) this.#insert.run(multihash, bytes);
    });
  }

  /** The stored bytes, not re-hashed (callers verify), or undefined. */
  get(multihash: Uint8Array): Uint8Array | undefined {
    const row = this.#select.get(multihash) as { bytes: Uint8Array } | undefined;
    return row?.bytes;
  }

  has(multihash: Uint8Array): boolean {
    return this.#exists.get(multihash) !== undefined;
  }

  delete(multihash: Uint8Array): void {
    this.#remove.run(multihash);
  }

  /** Every block, in the order stored. */
  *entries(): Generator<{ multihash: Uint8Array; bytes: Uint8Array }> {
    for (const row of this.#db.prepare("SELECT multihash, bytes FROM blocks ORDER BY rowid").iterate()) {
      yield row as { multihash: Uint8Array; bytes: Uint8Array };
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
