import { randomBytes } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import type {
  AnchorReceipt,
  BatchRow,
  BatchState,
  LeafProof,
  NewBatch,
  OutboxStats,
  PendingLeaf,
} from "../../../ports/AnchoringOutbox.ts";
import type { Index } from "../../../ports/Index.ts";
import type { RestoreBatch } from "../../../ports/RebuildTarget.ts";
import type { SearchOptions, SearchPage } from "../../../ports/SearchIndex.ts";
import type { TransactionReceipt, TransactionReceiptKey } from "../../../ports/TransactionReceipts.ts";
import type { CurrentRow, ErasedCompartment, VersionRow, VersionWrite } from "../../../ports/VersionStore.ts";
import type { SearchRequest } from "../../../ports/SearchRequest.ts";
import { localizeSearchRequest } from "../../../fhir/search/ownBaseReferences.ts";
import { fromPreparedSearchRows, type RowSlice } from "../../../fhir/search/packedRows.ts";
import type {
  CompartmentPage,
  CompartmentQuery,
  EveryCompartmentQuery,
  HistoryPage,
  HistoryQuery,
} from "../../../ports/HistoryIndex.ts";
import { compartmentPage, everyCompartmentPage, historyPage } from "./historyQueries.ts";
import { eraseCompartment } from "./eraseCompartment.ts";
import { GroupCommit } from "../../sqlite/groupCommit.ts";
import { WalCheckpointer } from "../../sqlite/WalCheckpointer.ts";
import { LruCache } from "../../keys/LruCache.ts";
import { restoreBatch } from "./restoreBatch.ts";
import { toBatch, toBytes, toCurrent, toLeaf, toVersion } from "./rows.ts";
import { searchPage } from "./searchPage.ts";
import { immediateTransaction } from "../../sqlite/immediateTransaction.ts";
import { migrate, schemaVersion } from "../../sqlite/migrate.ts";
import { openSqliteFile } from "../../sqlite/openSqliteFile.ts";
import { BLIND_LAYOUT, INDEX_MIGRATIONS } from "./migrations.ts";
import { ReaderPool } from "./readers/ReaderPool.ts";
import { blindName, registerSearchFunctions, SEARCH_KEY_BYTES, SearchKey } from "./search/searchKey.ts";

/** Search-parameter rows kept beside the core tables (optional so the core works alone). */
export interface SearchIndexer {
  /**
   * The search tables' DDL: the layout INDEX_MIGRATIONS builds (the migrations create the
   * tables); a bulk load drops its CREATE INDEX statements' indexes and builds them at the end.
   */
  ddl: string;
  /**
   * `fresh`: the rid has no rows yet (skip deleting). `rows`: already extracted, use these.
   * `ownBase`: the server's base URL; references under it are stored as local `Type/id`.
   */
  write(
    db: DatabaseSync,
    rid: number,
    type: string,
    resource: Record<string, unknown>,
    fresh?: boolean,
    rows?: RowSlice,
    ownBase?: string,
  ): void;
  remove(db: DatabaseSync, rid: number): void;
}

type Row = Record<string, unknown>;

const CURRENT_VERSION_SQL = `SELECT r.type, r.id, v.*, l.leaf_hash FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = r.version JOIN leaves l ON l.seq = v.leaf_seq
       WHERE r.type = ? AND r.id = ?`;

interface Reader {
  db: DatabaseSync;
  currentVersion: StatementSync;
}

/**
 * A second connection for GET by id, with the database file memory-mapped: a page is then read
 * from the OS page cache in place, not copied by a pread into SQLite's own cache. Server CPU
 * per read under load, three rounds of 10k reads after a start on the Blaze data: mapping the
 * main connection gave 287-291 / 222-227 / 196-201 µs against 317-322 / 321-325 / 265-287 µs;
 * this reader, in a slower hour, 434-450 / 332-356 / 248-313 µs against 405-461 / 399-475 /
 * 354-427 µs. Mapped pages a process touches count in its RSS: only by-id reads use the map,
 * so it holds the pages those touch (resources, versions, leaves), not the search tables an
 * import writes. query_only: this connection never writes.
 */
function openReader(path: string): Reader {
  const db = openSqliteFile(path);
  db.exec(
    "PRAGMA busy_timeout = 5000; PRAGMA query_only = 1; PRAGMA cache_size = -8192; PRAGMA mmap_size = 2147483648;",
  );
  return { db, currentVersion: db.prepare(CURRENT_VERSION_SQL) };
}

const PATH_HASH_BYTES = 32;
/** Current version rows kept for reads by id (~0.3 KB each). */
const CURRENT_VERSIONS_CACHED = 20_000;
/** A FHIR transaction this large commits at once rather than waiting for the group's window (see GroupCommit.run). */
const LARGE_TRANSACTION = 16;

/** The index on node:sqlite (WAL). Every commit is one transaction; the response waits for it. */
export class SqliteIndex implements Index {
  readonly db: DatabaseSync;
  readonly #search: SearchIndexer | null;
  readonly #ownBase: () => string;
  readonly #stmts = new Map<string, StatementSync>();
  readonly #searchKey: SearchKey;
  /** Commits of versions, grouped into shared transactions. */
  readonly #group: GroupCommit;
  /** Reads by id, on their own connection with the file memory-mapped (see openReader). */
  readonly #reader: Reader | null = null;
  /**
   * Current version rows by "type/id", as reads by id last found them (frozen: shared by every
   * caller). This process is the index's only writer (the data directory lock): a commit drops
   * the rows of what it writes, erasure and restores drop them all. A GET by id spent 15 % of its
   * time in the three-table lookup.
   */
  readonly #currentVersions = new LruCache<string, VersionRow>(CURRENT_VERSIONS_CACHED);
  /** Searches and history pages, off the main thread (see ReaderPool); null: run here. */
  readonly #pool: ReaderPool | null = null;

  /**
   * `bulkLoad` (rebuild into a new file): no fsync, and the search tables' value indexes are
   * built once at the end by finishBulkLoad() instead of row by row — much faster for large
   * loads. The tables are clustered on rid, so replacing a resource's rows is never a table scan.
   * `baseUrl`: the server's own base URL, asked at each write and search because with port 0
   * it is known only once the server listens; references under it are local (see ownBaseReferences).
   */
  constructor(options: {
    path: string;
    search?: SearchIndexer;
    bulkLoad?: boolean;
    baseUrl?: () => string;
    /** Searches and history pages on this many reader threads (see ReaderPool); absent or 0: on this thread. */
    readers?: { count: number; queryTimeoutMs: number };
    /**
     * The secret search values are sealed and blinded under (see SearchKey; the key store's
     * searchIndexKey). Required for a file; an in-memory index without one makes its own.
     */
    searchKey?: Uint8Array;
  }) {
    const secret = options.searchKey ?? (options.path === ":memory:" ? randomBytes(SEARCH_KEY_BYTES) : undefined);
    if (secret === undefined)
      throw new FhirLedgerError("internal", `the index ${options.path} needs its search key (searchKey)`);
    this.db = openSqliteFile(options.path);
    this.#searchKey = new SearchKey(secret);
    this.#group = new GroupCommit(this.db);
    registerSearchFunctions(this.db, this.#searchKey);
    // SQLite's default page cache is 2 MB: far too small for search tables of ~100k resources.
    // Checkpoints every 256 MB of WAL instead of 4 MB: index pages dirtied by many commits are
    // written back once per checkpoint, not once per few commits. Import of the Synthea set:
    // 64 MB made search-row writes ~25 % faster than 4 MB; 256 MB then wrote 2.68 GB in all
    // instead of 3.23-3.30 GB (fewer copies of the same pages into the database file). After a
    // checkpoint the WAL file is cut back to 64 MB (journal_size_limit).
    this.db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA busy_timeout = 5000; " +
        "PRAGMA cache_size = -98304; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 65536; PRAGMA journal_size_limit = 67108864;",
    );
    const layout = schemaVersion(this.db);
    migrate(this.db, INDEX_MIGRATIONS, `index ${options.path}`);
    // The step that sealed search values left the clear ones' pages zeroed in the WAL only: write
    // them back to the main file now, not at some later checkpoint.
    if (layout < BLIND_LAYOUT) this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    this.#search = options.search ?? null;
    this.#ownBase = options.baseUrl ?? (() => "");
    if (options.bulkLoad) {
      // A rebuild writes a new file that is thrown away if interrupted: no journal, no fsync.
      this.db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
      this.#deferredDdl = this.#search?.ddl ?? null;
      if (this.#deferredDdl) this.db.exec(dropIndexes(this.#deferredDdl));
    }
    if (options.path !== ":memory:" && !options.bulkLoad) {
      this.#reader = openReader(options.path);
      this.#checkpointer = new WalCheckpointer([options.path]);
    }
    if (options.path !== ":memory:" && !options.bulkLoad && options.readers && options.readers.count > 0)
      this.#pool = new ReaderPool({
        path: options.path,
        readers: options.readers.count,
        queryTimeoutMs: options.readers.queryTimeoutMs,
        searchKey: secret,
      });
  }

  #deferredDdl: string | null = null;
  /** Copies the WAL back off the event loop (see WalCheckpointer); files only. */
  #checkpointer: WalCheckpointer | null = null;

  /** Ends a bulk load: builds the deferred indexes and returns to normal durability. */
  finishBulkLoad(): void {
    if (this.#deferredDdl) this.db.exec(this.#deferredDdl);
    this.#deferredDdl = null;
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA optimize;");
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  async current(type: string, id: string): Promise<CurrentRow | null> {
    return this.#current(type, id);
  }

  #current(type: string, id: string): CurrentRow | null {
    const r = this.#stmt(
      "SELECT rid, type, id, version, deleted, last_updated, compartment FROM resources WHERE type = ? AND id = ?",
    ).get(type, id) as Row | undefined;
    return r ? toCurrent(r) : null;
  }

  async version(type: string, id: string, versionId: number): Promise<VersionRow | null> {
    const r = this.#stmt(
      `SELECT r.type, r.id, v.*, l.leaf_hash FROM resources r JOIN versions v ON v.rid = r.rid JOIN leaves l ON l.seq = v.leaf_seq
       WHERE r.type = ? AND r.id = ? AND v.version = ?`,
    ).get(type, id, versionId) as Row | undefined;
    return r ? toVersion(r) : null;
  }

  /**
   * On the reader connection when there is one: callers never hold a transaction open across a
   * read (node:sqlite transactions are synchronous, reads are not), so it sees every commit.
   */
  async currentVersion(type: string, id: string): Promise<VersionRow | null> {
    const key = `${type}/${id}`;
    const known = this.#currentVersions.get(key);
    if (known !== undefined) return known;
    const r = (this.#reader?.currentVersion ?? this.#stmt(CURRENT_VERSION_SQL)).get(type, id) as Row | undefined;
    if (!r) return null;
    const version = Object.freeze(toVersion(r));
    this.#currentVersions.set(key, version);
    return version;
  }

  /** How many commit transactions carried how many commits (group commit at work: /metrics, tests). */
  commitGroups(): { transactions: number; units: number } {
    return { transactions: this.#group.transactions, units: this.#group.units };
  }

  /** Shares one transaction with the commits handed in meanwhile (see GroupCommit). */
  async commit(write: VersionWrite): Promise<VersionRow> {
    return this.#group.run(() => this.#commitOne(write));
  }

  /** All of `writes` or none, in a savepoint of the group's transaction (see GroupCommit). */
  async commitMany(writes: VersionWrite[], receipt?: TransactionReceiptKey): Promise<VersionRow[]> {
    const group = this.#group;
    return group.run(
      () => {
        if (receipt) {
          // First, so a repeat writes nothing; the primary key makes concurrent repeats safe too.
          const inserted = this.#stmt(
            "INSERT INTO transaction_receipts (key, request_hash, committed_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
          ).run(this.#receiptKey(receipt.key), receipt.requestHash, new Date().toISOString());
          if (Number(inserted.changes) === 0)
            throw new FhirLedgerError("conflict", "this transaction (its Bundle.identifier) was committed before");
        }
        return writes.map((w) => this.#commitOne(w));
      },
      { now: writes.length >= LARGE_TRANSACTION },
    );
  }

  async transactionReceipt(key: string): Promise<TransactionReceipt | null> {
    const r = this.#stmt("SELECT request_hash, committed_at, response FROM transaction_receipts WHERE key = ?").get(
      this.#receiptKey(key),
    ) as Row | undefined;
    return r
      ? {
          key,
          requestHash: String(r.request_hash),
          committedAt: String(r.committed_at),
          response: r.response == null ? null : this.#searchKey.openBytes(toBytes(r.response)),
        }
      : null;
  }

  async keepTransactionResponse(key: string, response: Uint8Array): Promise<void> {
    this.#stmt("UPDATE transaction_receipts SET response = ? WHERE key = ?").run(
      this.#searchKey.sealBytes(response),
      this.#receiptKey(key),
    );
  }

  /**
   * A name of VersionWrite.compartments as resource_compartments keeps it: `Patient/<id>` as
   * it is (ids are routing keys, in clear like `resources`), a name by identifier
   * (`Patient?identifier=…`) blinded, as a search value would be.
   */
  #compartmentName(name: string): string {
    return name.startsWith("Patient/") ? name : `#${blindName(this.#searchKey, "name", name)}`;
  }

  /** A client's idempotency key as the receipts table keeps it: blinded, like search values. */
  #receiptKey(key: string): string {
    return blindName(this.#searchKey, "receipt", key);
  }

  #commitOne(write: VersionWrite): VersionRow {
    // Dropped before the rows change: nothing else runs until the group's COMMIT (or ROLLBACK).
    this.#currentVersions.delete(`${write.type}/${write.id}`);
    const cur = this.#current(write.type, write.id);
    const curVersion = cur?.versionId ?? 0;
    if (curVersion !== write.expectedPreviousVersion || write.versionId !== curVersion + 1) {
      throw new FhirLedgerError("conflict", `version conflict on ${write.type}/${write.id}: current is ${curVersion}`);
    }
    let rid: number;
    if (cur) {
      rid = cur.rid;
      this.#stmt("UPDATE resources SET version = ?, deleted = ?, last_updated = ?, compartment = ? WHERE rid = ?").run(
        write.versionId,
        write.deleted ? 1 : 0,
        write.lastUpdated,
        write.compartment,
        rid,
      );
    } else {
      const res = this.#stmt(
        "INSERT INTO resources (type, id, version, deleted, last_updated, compartment) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(write.type, write.id, write.versionId, write.deleted ? 1 : 0, write.lastUpdated, write.compartment);
      rid = Number(res.lastInsertRowid);
    }
    const leaf = this.#stmt("INSERT INTO leaves (leaf_hash, queued_at) VALUES (?, ?)").run(
      write.leafHash,
      new Date().toISOString(),
    );
    const leafSeq = Number(leaf.lastInsertRowid);
    this.#stmt(
      "INSERT INTO versions (rid, version, last_updated, deleted, cid, content_hash, key_id, compartment, leaf_seq, created_by_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      rid,
      write.versionId,
      write.lastUpdated,
      write.deleted ? 1 : 0,
      write.cid,
      write.contentHash,
      write.keyId,
      write.compartment,
      leafSeq,
      write.createdByUpdate ? 1 : null,
    );
    if (this.#search) {
      if (write.deleted || !write.resource) this.#search.remove(this.db, rid);
      else
        this.#search.write(
          this.db,
          rid,
          write.type,
          write.resource,
          cur === null,
          write.searchRows && fromPreparedSearchRows(write.searchRows),
          this.#ownBase(),
        ); // a new rid has no rows to replace
    }
    const addCompartment = this.#stmt("INSERT OR IGNORE INTO resource_compartments (compartment, rid) VALUES (?, ?)");
    for (const c of write.compartments ?? []) addCompartment.run(this.#compartmentName(c), rid);
    const {
      leafHash: _leafHash,
      expectedPreviousVersion: _e,
      resource: _r,
      searchRows: _s,
      compartments: _c,
      ...row
    } = write;
    return { ...row, leafSeq };
  }

  async pendingLeaves(limit: number): Promise<PendingLeaf[]> {
    const rows = this.#stmt(
      `SELECT l.seq, l.leaf_hash, r.type, r.id, v.rid, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.leaf_seq, v.created_by_update
       FROM leaves l LEFT JOIN versions v ON v.leaf_seq = l.seq LEFT JOIN resources r ON r.rid = v.rid
       WHERE l.batch_id IS NULL ORDER BY l.seq LIMIT ?`,
    ).all(limit) as Row[];
    return rows.map(toLeaf);
  }

  async leavesOfBatch(batchId: number): Promise<PendingLeaf[]> {
    const rows = this.#stmt(
      `SELECT l.seq, l.leaf_hash, r.type, r.id, v.rid, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.leaf_seq, v.created_by_update
       FROM leaves l LEFT JOIN versions v ON v.leaf_seq = l.seq LEFT JOIN resources r ON r.rid = v.rid
       WHERE l.batch_id = ? ORDER BY l.leaf_index`,
    ).all(batchId) as Row[];
    return rows.map(toLeaf);
  }

  /**
   * In one transaction, then the WAL is checkpointed and truncated: with secure_delete on, the
   * freed pages are zeroed, so the erased rows survive neither in the database file nor in the
   * journal (a WAL keeps old page images until a checkpoint copies them back).
   */
  async eraseCompartment(
    compartment: string,
    also: readonly { type: string; id: string }[] = [],
    namedBy: readonly string[] = [],
  ): Promise<ErasedCompartment> {
    const names = namedBy.map((n) => this.#compartmentName(n));
    this.#currentVersions.clear();
    const erased = this.#transaction(() => eraseCompartment(this.db, this.#search, compartment, also, names));
    if (this.db.isOpen && erased.resources.length > 0) this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return erased;
  }

  async openBatch(batch: NewBatch): Promise<BatchRow> {
    return this.#transaction(() => {
      const res = this.#stmt(
        `INSERT INTO batches (root, prev_root, size, first_seq, last_seq, manifest_cid, manifest_digest, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'sending')`,
      ).run(
        batch.root,
        batch.prevRoot,
        batch.size,
        batch.firstSeq,
        batch.lastSeq,
        batch.manifestCid,
        batch.manifestDigest,
      );
      const batchId = Number(res.lastInsertRowid);
      // Leaves of a batch are a contiguous run of the pending queue, in order.
      const assigned = this.#stmt(
        `WITH picked AS (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) - 1 AS idx FROM leaves WHERE batch_id IS NULL AND seq BETWEEN ? AND ?)
         UPDATE leaves SET batch_id = ?, leaf_index = picked.idx FROM picked WHERE leaves.seq = picked.seq`,
      ).run(batch.firstSeq, batch.lastSeq, batchId);
      if (Number(assigned.changes) !== batch.size)
        throw new FhirLedgerError("conflict", "batch leaves changed while it was being built");
      return this.#batch(batchId)!;
    });
  }

  async completeBatch(batchId: number, receipt: AnchorReceipt, paths: Uint8Array[][]): Promise<void> {
    this.#transaction(() => {
      this.#stmt(
        "UPDATE batches SET state = 'anchored', chain_id = ?, contract = ?, tx_hash = ?, block_number = ?, anchored_at = ? WHERE batch_id = ?",
      ).run(receipt.chainId, receipt.contract, receipt.txHash, receipt.blockNumber, new Date().toISOString(), batchId);
      // By primary key: (batch_id, leaf_index) has no index, and a scan per leaf is quadratic.
      const seqs = this.#stmt("SELECT seq FROM leaves WHERE batch_id = ? ORDER BY leaf_index").all(batchId) as Row[];
      const setPath = this.#stmt("INSERT OR REPLACE INTO leaf_paths (path, seq) VALUES (?, ?)");
      paths.forEach((path, i) => setPath.run(Buffer.concat(path), Number(seqs[i]!.seq)));
    });
  }

  async batches(state?: BatchState): Promise<BatchRow[]> {
    const rows = (
      state
        ? this.#stmt("SELECT * FROM batches WHERE state = ? ORDER BY batch_id").all(state)
        : this.#stmt("SELECT * FROM batches ORDER BY batch_id").all()
    ) as Row[];
    return rows.map(toBatch);
  }

  async lastAnchoredRoot(): Promise<Uint8Array | null> {
    const r = this.#stmt("SELECT root FROM batches ORDER BY batch_id DESC LIMIT 1").get() as Row | undefined;
    return r ? toBytes(r.root) : null;
  }

  async requeueBatch(batchId: number): Promise<number> {
    return this.#transaction(() => {
      this.#stmt("DELETE FROM leaf_paths WHERE seq IN (SELECT seq FROM leaves WHERE batch_id = ?)").run(batchId);
      const res = this.#stmt("UPDATE leaves SET batch_id = NULL, leaf_index = NULL WHERE batch_id = ?").run(batchId);
      this.#stmt("DELETE FROM batches WHERE batch_id = ?").run(batchId);
      return Number(res.changes);
    });
  }

  async leafProof(seq: number): Promise<LeafProof | null> {
    const r = this.#stmt(
      "SELECT l.*, p.path FROM leaves l LEFT JOIN leaf_paths p ON p.seq = l.seq WHERE l.seq = ?",
    ).get(seq) as Row | undefined;
    if (!r) return null;
    const batch = r.batch_id === null ? null : this.#batch(Number(r.batch_id));
    const pathBytes = r.path === null ? null : toBytes(r.path);
    const path: Uint8Array[] | null = pathBytes
      ? Array.from({ length: pathBytes.length / PATH_HASH_BYTES }, (_, i) =>
          pathBytes.subarray(i * PATH_HASH_BYTES, (i + 1) * PATH_HASH_BYTES),
        )
      : null;
    return {
      seq,
      leafHash: toBytes(r.leaf_hash),
      batch,
      leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
      path: batch?.state === "anchored" ? path : null,
      queuedAt: String(r.queued_at),
    };
  }

  async stats(): Promise<OutboxStats> {
    // Unanchored = not in a batch yet, or in one whose transaction is not confirmed.
    const p = this.#stmt(
      `SELECT COUNT(*) AS n, MIN(l.queued_at) AS oldest FROM leaves l LEFT JOIN batches b ON b.batch_id = l.batch_id
       WHERE l.batch_id IS NULL OR b.state <> 'anchored'`,
    ).get() as Row;
    const b = this.#stmt("SELECT COUNT(*) AS n FROM batches").get() as Row;
    const v = this.#stmt("SELECT COUNT(*) AS n FROM versions").get() as Row;
    return {
      pendingLeaves: Number(p.n),
      oldestPendingAt: (p.oldest as string | null) ?? null,
      batches: Number(b.n),
      versions: Number(v.n),
    };
  }

  async search(request: SearchRequest, options: SearchOptions = {}): Promise<SearchPage> {
    if (!this.#search) throw new FhirLedgerError("internal", "this index was opened without search tables");
    const localized = localizeSearchRequest(request, this.#ownBase());
    return this.#pool ? this.#pool.search(localized, options) : searchPage(this.db, localized, options);
  }

  async historyPage(query: HistoryQuery): Promise<HistoryPage> {
    return this.#pool ? this.#pool.historyPage(query) : historyPage(this.db, query);
  }

  async compartmentPage(query: CompartmentQuery): Promise<CompartmentPage> {
    return this.#pool ? this.#pool.compartmentPage(query) : compartmentPage(this.db, query);
  }

  async everyCompartmentPage(query: EveryCompartmentQuery): Promise<CompartmentPage> {
    return this.#pool ? this.#pool.everyCompartmentPage(query) : everyCompartmentPage(this.db, query);
  }

  async restoreBatch(input: RestoreBatch): Promise<void> {
    this.#currentVersions.clear();
    this.#transaction(() => restoreBatch(this.db, this.#search, input, this.#ownBase()));
  }

  setting(name: string): string | null {
    const r = this.#stmt("SELECT value FROM settings WHERE name = ?").get(name) as Row | undefined;
    return r ? String(r.value) : null;
  }

  setSetting(name: string, value: string): void {
    this.#stmt(
      "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    ).run(name, value);
  }

  /** Synchronous unless reader threads run: then they are stopped first. */
  close(): void | Promise<void> {
    this.#group.flush();
    const stopping = [this.#pool?.close(), this.#checkpointer?.close()].filter((p) => p !== undefined);
    if (stopping.length > 0) return Promise.all(stopping).then(() => this.#closeConnections());
    this.#closeConnections();
  }

  #closeConnections(): void {
    this.#stmts.clear();
    if (this.#reader?.db.isOpen) this.#reader.db.close();
    if (this.db.isOpen) this.db.close();
  }
  #batch(batchId: number): BatchRow | null {
    const r = this.#stmt("SELECT * FROM batches WHERE batch_id = ?").get(batchId) as Row | undefined;
    return r ? toBatch(r) : null;
  }

  #transaction<T>(fn: () => T): T {
    return immediateTransaction(this.db, fn);
  }
}

/** DROP INDEX for each index the DDL creates (tables stay clustered on rid). */
function dropIndexes(ddl: string): string {
  return [...ddl.matchAll(/CREATE\s+INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi)]
    .map(([, name]) => `DROP INDEX IF EXISTS ${name};`)
    .join("\n");
}
