import type { DatabaseSync, StatementSync } from "node:sqlite";
import { equalBytes } from "../../crypto/equalBytes.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { immediateTransaction } from "../sqlite/immediateTransaction.ts";
import { GroupCommit } from "../sqlite/groupCommit.ts";
import { type Migration, migrate } from "../sqlite/migrate.ts";
import { openSqliteFile } from "../sqlite/openSqliteFile.ts";
import { rawCid } from "./rawCid.ts";

/** Ids a block may take: the slot its digest names and the 15 after it, for digests whose 60-bit prefixes collide. */
const SLOTS = 16n;

/**
 * The first id of a block's slot window: the last 8 bytes of its multihash (digest bytes for
 * every hash function of 8 bytes or more; shorter identity multihashes are zero-padded) as a
 * signed 64-bit integer with its low 4 bits cleared, so that id + 15 never overflows.
 */
function slotOf(multihash: Uint8Array): bigint {
  const tail = new Uint8Array(8);
  tail.set(multihash.subarray(Math.max(0, multihash.length - 8)), Math.max(0, 8 - multihash.length));
  return new DataView(tail.buffer).getBigInt64(0) & ~(SLOTS - 1n);
}

/** The layouts of the blocks file in order (see migrate); a change is a new step at the end. */
export const BLOCKS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "blocks", // files made before schema versions were numbered hold exactly this table
    up: (db) =>
      db.exec(
        "CREATE TABLE IF NOT EXISTS blocks (id INTEGER PRIMARY KEY, multihash BLOB NOT NULL, bytes BLOB NOT NULL)",
      ),
  },
];

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
 *
 * A block's row id comes from its digest (slotOf), so finding a block is one search of the
 * table's own B-tree: a leaf page and the overflow pages of a large block, no separate index
 * on the multihash. That matters most when the pages are not cached: reading 368 random blocks
 * of 368k right after dropping the OS page cache took 247-275 µs a block this way against
 * 361-366 µs through an index on the multihash. Blocks whose ids collide take the next free
 * id of their 16-id window; every lookup compares the whole multihash.
 */
export class SqliteBlocks {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #window: StatementSync;
  readonly #remove: StatementSync;
  /** Concurrent single puts (one per created resource) share one transaction. */
  readonly #group: GroupCommit;

  constructor(path: string) {
    this.path = path;
    this.#db = openSqliteFile(path);
    this.#db.exec(
      "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; " +
        `PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}; PRAGMA journal_size_limit = 33554432;`,
    );
    migrate(this.#db, BLOCKS_MIGRATIONS, `blocks ${path}`);
    this.#insert = this.#db.prepare("INSERT OR IGNORE INTO blocks (id, multihash, bytes) VALUES (?, ?, ?)");
    this.#window = this.#db.prepare("SELECT id, multihash, bytes FROM blocks WHERE id BETWEEN ? AND ? ORDER BY id");
    this.#window.setReadBigInts(true);
    this.#remove = this.#db.prepare("DELETE FROM blocks WHERE id = ?");
    this.#group = new GroupCommit(this.#db);
  }

  /** The rows of a multihash's window, and which of them holds it. */
  #find(multihash: Uint8Array): {
    rows: { id: bigint; multihash: Uint8Array; bytes: Uint8Array }[];
    found: { id: bigint; bytes: Uint8Array } | undefined;
  } {
    const first = slotOf(multihash);
    const rows = this.#window.all(first, first + SLOTS - 1n) as {
      id: bigint;
      multihash: Uint8Array;
      bytes: Uint8Array;
    }[];
    return { rows, found: rows.find((r) => equalBytes(r.multihash, multihash)) };
  }

  /**
   * Inserts unless the multihash is stored already. Runs inside a write transaction, so no
   * other connection can take an id between the look and the insert.
   */
  #store(multihash: Uint8Array, bytes: Uint8Array): void {
    const first = slotOf(multihash);
    // The common case: the first id of the window is free.
    if (Number(this.#insert.run(first, multihash, bytes).changes) === 1) return;
    const { rows, found } = this.#find(multihash);
    if (found) return;
    const taken = new Set(rows.map((r) => r.id));
    for (let id = first + 1n; id < first + SLOTS; id++) {
      if (!taken.has(id)) {
        this.#insert.run(id, multihash, bytes);
        return;
      }
    }
    throw new FhirLedgerError("conflict", "block store: no free id for this block's digest");
  }

  /** Stores bytes as a raw block and returns its CIDv1 (raw, sha2-256). Storing a block twice keeps one. */
  put(bytes: Uint8Array): string {
    return this.putAll([bytes])[0]!;
  }

  /**
   * Stores bytes as a raw block in the next group's transaction (see GroupCommit): settles
   * after that transaction commits, so concurrent writes pay for one commit between them.
   */
  putGrouped(bytes: Uint8Array): Promise<string> {
    const cid = rawCid(bytes);
    const multihash = cid.multihash.bytes;
    return this.#group.run(() => {
      this.#store(multihash, bytes);
      return cid.toString();
    });
  }

  /** Stores several raw blocks in one transaction; their CIDs in order. */
  putAll(blocks: readonly Uint8Array[]): string[] {
    return immediateTransaction(this.#db, () =>
      blocks.map((bytes) => {
        const cid = rawCid(bytes);
        this.#store(cid.multihash.bytes, bytes);
        return cid.toString();
      }),
    );
  }

  /** Stores bytes under a multihash as given (blocks of other codecs, migrated block files): the caller vouches for the key. */
  putKeyed(entries: readonly { multihash: Uint8Array; bytes: Uint8Array }[]): void {
    immediateTransaction(this.#db, () => {
      for (const { multihash, bytes } of entries) this.#store(multihash, bytes);
    });
  }

  /** The stored bytes, not re-hashed (callers verify), or undefined. */
  get(multihash: Uint8Array): Uint8Array | undefined {
    return this.#find(multihash).found?.bytes;
  }

  has(multihash: Uint8Array): boolean {
    return this.#find(multihash).found !== undefined;
  }

  delete(multihash: Uint8Array): void {
    const { found } = this.#find(multihash);
    if (found) this.#remove.run(found.id);
  }

  /** Every block (in id order, which is digest order, not the order stored). */
  *entries(): Generator<{ multihash: Uint8Array; bytes: Uint8Array }> {
    for (const row of this.#db.prepare("SELECT multihash, bytes FROM blocks").iterate()) {
      yield row as { multihash: Uint8Array; bytes: Uint8Array };
    }
  }

  close(): void {
    this.#group.flush();
    if (this.#db.isOpen) this.#db.close();
  }
}
