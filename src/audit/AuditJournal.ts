import { randomBytes } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { GroupCommit } from "../adapters/sqlite/groupCommit.ts";
import type { Migration } from "../adapters/sqlite/migrate.ts";
import { migrate } from "../adapters/sqlite/migrate.ts";
import { openSqliteFile } from "../adapters/sqlite/openSqliteFile.ts";
import { aesGcmDecrypt } from "../crypto/aesGcmDecrypt.ts";
import { aesGcmEncrypt } from "../crypto/aesGcmEncrypt.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { DataKey, KeyStore } from "../ports/KeyStore.ts";
import type { AuditEventJson } from "./balp/balpEvent.ts";

/** The key-store compartment whose data key seals the journal (never a patient's: erasure keeps audit). */
export const AUDIT_JOURNAL_COMPARTMENT = "_audit-journal";

/** One journalled event, decrypted: its AuditEvent id is fixed when it is journalled. */
export interface JournalEntry {
  seq: number;
  id: string;
  event: AuditEventJson;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "journal",
    up(db) {
      // id: the AuditEvent id the materialiser writes it under (so a re-drain never duplicates);
      // sealed: nonce || AES-256-GCM(event JSON) || tag, aad = id; key_id names the data key.
      db.exec(
        "CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key_id TEXT NOT NULL, sealed BLOB NOT NULL)",
      );
    },
  },
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The audit journal (`<dataDir>/audit-journal.sqlite`): every AuditEvent is appended here
 * before the response it records leaves, sealed with AES-256-GCM under a data key kept in the
 * key store, so the file holds no patient id, name or query in clear. Appends share one SQLite
 * transaction through GroupCommit (concurrent requests, one commit); `append` settles after the
 * COMMIT, so an answered request's events survive a SIGKILL (WAL, synchronous NORMAL). The
 * AuditMaterialiser drains it into AuditEvent resources.
 */
export class AuditJournal {
  readonly #db: DatabaseSync;
  readonly #commit: GroupCommit;
  readonly #keys: KeyStore;
  readonly #key: DataKey;
  readonly #known = new Map<string, DataKey>();
  readonly #insert: StatementSync;
  readonly #batch: StatementSync;
  readonly #remove: StatementSync;
  readonly #count: StatementSync;
  readonly #last: StatementSync;

  private constructor(db: DatabaseSync, keys: KeyStore, key: DataKey) {
    this.#db = db;
    this.#keys = keys;
    this.#key = key;
    this.#known.set(key.keyId, key);
    this.#commit = new GroupCommit(db);
    this.#insert = db.prepare("INSERT INTO journal (id, key_id, sealed) VALUES (?, ?, ?)");
    this.#batch = db.prepare(
      "SELECT seq, id, key_id, sealed FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
    );
    this.#last = db.prepare("SELECT max(seq) AS seq FROM journal");
    this.#remove = db.prepare("DELETE FROM journal WHERE seq <= ?");
    this.#count = db.prepare("SELECT count(*) AS n FROM journal");
  }

  /** Opens (creating) the journal at `path` (":memory:" for tests) with the key store's journal key. */
  static async open(options: { path: string; keys: KeyStore }): Promise<AuditJournal> {
    const key = await options.keys.currentDataKey(AUDIT_JOURNAL_COMPARTMENT);
    const db = openSqliteFile(options.path);
    try {
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000");
      migrate(db, MIGRATIONS, "audit-journal.sqlite");
    } catch (error) {
      db.close();
      throw error;
    }
    return new AuditJournal(db, options.keys, key);
  }

  /**
   * Appends events; resolves with their AuditEvent ids once they are committed (sharing the
   * transaction with whatever else was appended in the same event-loop turn).
   */
  append(events: readonly AuditEventJson[]): Promise<string[]> {
    if (events.length === 0) return Promise.resolve([]);
    const key = this.#key;
    const rows = events.map((event) => {
      const id = newAuditId();
      const sealed = aesGcmEncrypt({
        key: key.handle ?? key.key,
        plaintext: encoder.encode(JSON.stringify(event)),
        aad: encoder.encode(id),
      });
      return { id, sealed };
    });
    return this.#commit.run(() => {
      for (const row of rows) this.#insert.run(row.id, key.keyId, row.sealed);
      return rows.map((r) => r.id);
    });
  }

  /** Up to `limit` entries after `afterSeq` (and up to `upToSeq`), oldest first, decrypted. */
  async read(afterSeq: number, limit: number, upToSeq = Number.MAX_SAFE_INTEGER): Promise<JournalEntry[]> {
    const rows = this.#batch.all(afterSeq, upToSeq, limit) as {
      seq: number;
      id: string;
      key_id: string;
      sealed: Uint8Array;
    }[];
    const entries: JournalEntry[] = [];
    for (const row of rows) {
      const key = await this.#dataKey(row.key_id);
      let plaintext: Uint8Array;
      try {
        plaintext = aesGcmDecrypt({ key: key.handle ?? key.key, sealed: row.sealed, aad: encoder.encode(row.id) });
      } catch {
        throw new FhirLedgerError("integrity", `audit journal entry ${row.seq} does not decrypt`);
      }
      entries.push({
        seq: Number(row.seq),
        id: row.id,
        event: JSON.parse(decoder.decode(plaintext)) as AuditEventJson,
      });
    }
    return entries;
  }

  /** Forgets the entries up to `seq` (they are materialised). */
  async remove(upToSeq: number): Promise<void> {
    await this.#commit.run(() => this.#remove.run(upToSeq));
  }

  /** The newest entry's sequence number (0 when the journal is empty). */
  lastSeq(): number {
    return Number((this.#last.get() as { seq: number | null }).seq ?? 0);
  }

  /** Entries not yet materialised. */
  pending(): number {
    return Number((this.#count.get() as { n: number }).n);
  }

  /** Transactions and units committed (tests, metrics). */
  commits(): { transactions: number; units: number } {
    return { transactions: this.#commit.transactions, units: this.#commit.units };
  }

  close(): void {
    this.#commit.flush();
    if (this.#db.isOpen) this.#db.close();
  }

  async #dataKey(keyId: string): Promise<DataKey> {
    let key = this.#known.get(keyId);
    if (key === undefined) {
      key = await this.#keys.dataKey(keyId);
      this.#known.set(keyId, key);
    }
    return key;
  }
}

/** A fresh AuditEvent id (fixed in the journal row, so materialising twice writes the same resource). */
function newAuditId(): string {
  return randomBytes(16).toString("hex");
}
