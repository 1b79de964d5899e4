import { createHmac, createSecretKey, hkdfSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { aesGcmDecrypt } from "../../crypto/aesGcmDecrypt.ts";
import { aesGcmEncrypt } from "../../crypto/aesGcmEncrypt.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { DataKey, KeyStore, SigningAlgorithm, SigningKey } from "../../ports/KeyStore.ts";
import { LruCache } from "./LruCache.ts";
import {
  COMPARTMENT_SECRET,
  KEY_DATABASE_MIGRATIONS,
  asKeyRow,
  keyAad,
  openOrCreateCompartmentKey,
  readSecretRow,
  secretAad,
} from "./keyDatabase.ts";
import type { KeyRow } from "./keyDatabase.ts";
import { DB_FILE, KEK_FILE, NEXT_KEK_FILE, loadFileKek } from "./loadFileKek.ts";
import { kekId } from "./kekId.ts";
import {
  KEPT_SIGNING_KEYS,
  assertSigningAlgorithm,
  generateSigningKey,
  importSigningKey,
  signingKeyAad,
} from "./signingKeys.ts";
import { KEK_BYTES } from "./readKekFile.ts";
import { writeSecretFile } from "./writeSecretFile.ts";
import { immediateTransaction } from "../sqlite/immediateTransaction.ts";
import { migrate } from "../sqlite/migrate.ts";
import { openSqliteFile } from "../sqlite/openSqliteFile.ts";

export interface FileKeyStoreOptions {
  /** Directory for kek.key and datakeys.sqlite, e.g. ./data/keys */
  dir: string;
  /** KEK from configuration; when given it is used as is and never written to disk. */
  kek?: Uint8Array;
  /** Unwrapped data keys kept in memory (default 10,000). */
  cacheSize?: number;
  now?: () => Date;
}

const DATA_KEY_BYTES = 32;
/** How stale this process's view of another process's key destruction may be. */
export const DATA_VERSION_RECHECK_MS = 20;
const MAX_COMPARTMENT_LENGTH = 1024;
/** 16 random bytes in base64url: opaque, and checkable before any lookup. */
const KEY_ID = /^[A-Za-z0-9_-]{22}$/;

function unknownKey(): FhirLedgerError {
  return new FhirLedgerError("integrity", "unknown data key");
}

/**
 * KeyStore on local files: a KEK (configured, or generated into dir/kek.key with
 * mode 0600) wraps per-compartment data keys kept in dir/datakeys.sqlite.
 *
 * The database names compartments only by HMAC, so the file does not list patient
 * ids. Every transaction here is synchronous from BEGIN to COMMIT, so no await can
 * interleave inside one and two calls in this process cannot both create a key;
 * BEGIN IMMEDIATE extends that to other processes on the same file.
 */
export class FileKeyStore implements KeyStore {
  readonly #db: DatabaseSync;
  readonly #dir: string;
  readonly #fileManaged: boolean;
  readonly #compartmentKey: Uint8Array;
  readonly #cache: LruCache<string, DataKey>;
  /** The compartment HMAC key imported once, and hashes already computed: every write names its compartment. */
  readonly #compartmentHmacKey: KeyObject;
  readonly #compartmentHashes = new LruCache<string, string>(16_384);
  readonly #now: () => Date;
  readonly #statements: {
    newest: StatementSync;
    byId: StatementSync;
    liveInCompartment: StatementSync;
    insert: StatementSync;
    destroy: StatementSync;
    allLive: StatementSync;
    rewrap: StatementSync;
    secretKekId: StatementSync;
    newestOfEach: StatementSync;
    dataVersion: StatementSync;
    signingKeys: StatementSync;
    allSigningKeys: StatementSync;
  };
  #kek: Uint8Array;
  #kekId: string;
  #dataVersion: unknown;
  #dataVersionCheckedAt = -Infinity;
  #closed = false;
  #rewrapping = false;

  private constructor(init: {
    db: DatabaseSync;
    dir: string;
    fileManaged: boolean;
    kek: Uint8Array;
    compartmentKey: Uint8Array;
    cacheSize: number;
    now: () => Date;
  }) {
    this.#db = init.db;
    this.#dir = init.dir;
    this.#fileManaged = init.fileManaged;
    this.#kek = init.kek;
    this.#kekId = kekId(init.kek);
    this.#compartmentKey = init.compartmentKey;
    this.#compartmentHmacKey = createSecretKey(init.compartmentKey);
    this.#now = init.now;
    // Cached keys are private copies, so zeroing them on eviction harms no caller.
    this.#cache = new LruCache(init.cacheSize, (key) => key.key.fill(0));
    const db = init.db;
    this.#statements = {
      newest: db.prepare(
        "SELECT key_id, compartment_hash, version, kek_id, wrapped FROM data_keys WHERE compartment_hash = ? ORDER BY version DESC LIMIT 1",
      ),
      byId: db.prepare("SELECT key_id, compartment_hash, version, kek_id, wrapped FROM data_keys WHERE key_id = ?"),
      liveInCompartment: db.prepare("SELECT key_id FROM data_keys WHERE compartment_hash = ? AND wrapped IS NOT NULL"),
      insert: db.prepare(
        "INSERT INTO data_keys (key_id, compartment_hash, version, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      destroy: db.prepare(
        "UPDATE data_keys SET wrapped = NULL, destroyed_at = ? WHERE compartment_hash = ? AND wrapped IS NOT NULL",
      ),
      allLive: db.prepare(
        "SELECT key_id, compartment_hash, version, kek_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL",
      ),
      rewrap: db.prepare("UPDATE data_keys SET kek_id = ?, wrapped = ? WHERE key_id = ?"),
      secretKekId: db.prepare("SELECT kek_id FROM secrets WHERE name = ?"),
      newestOfEach: db.prepare(
        "SELECT compartment_hash, version, wrapped IS NOT NULL AS live FROM data_keys d WHERE version = (SELECT MAX(version) FROM data_keys WHERE compartment_hash = d.compartment_hash)",
      ),
      dataVersion: db.prepare("PRAGMA data_version"),
      signingKeys: db.prepare(
        "SELECT kid, alg, kek_id, wrapped, created_at, retired_at FROM signing_keys WHERE alg = ? ORDER BY created_at DESC, rowid DESC",
      ),
      allSigningKeys: db.prepare("SELECT kid, alg, kek_id, wrapped FROM signing_keys"),
    };
    this.#dataVersion = this.#statements.dataVersion.get()?.data_version;
  }

  /** Opens (creating when absent) the key directory, its KEK and its key database. */
  static async open(options: FileKeyStoreOptions): Promise<FileKeyStore> {
    const { dir } = options;
    if (options.kek !== undefined && options.kek.byteLength !== KEK_BYTES) {
      throw new FhirLedgerError("internal", `the configured KEK must be ${KEK_BYTES} bytes`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const dbPath = join(dir, DB_FILE);
    // 0600 with its -wal and -shm, and secure_delete on: destroyed keys are zeroed in the file.
    const db = openSqliteFile(dbPath);
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec("PRAGMA journal_mode = WAL");
      // A lost key row loses data.
      db.exec("PRAGMA synchronous = FULL");
      migrate(db, KEY_DATABASE_MIGRATIONS, `key database ${dbPath}`);
      const stored = readSecretRow(db);
      const kek = options.kek ? new Uint8Array(options.kek) : await loadFileKek(dir, stored?.kek_id);
      const compartmentKey = openOrCreateCompartmentKey(db, kek);
      return new FileKeyStore({
        db,
        dir,
        fileManaged: options.kek === undefined,
        kek,
        compartmentKey,
        cacheSize: options.cacheSize ?? 10_000,
        now: options.now ?? (() => new Date()),
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Id of the KEK in use (hex of 8 bytes of its SHA-256), for logs and rotation records. */
  get kekId(): string {
    return this.#kekId;
  }

  async currentDataKey(compartment: string): Promise<DataKey> {
    this.#ready();
    const hash = this.#compartmentHash(compartment);
    const newest = asKeyRow(this.#statements.newest.get(hash));
    if (newest?.wrapped) return this.#unwrap(newest);
    // None yet, or the newest was destroyed: a compartment used again after erasure
    // gets a new version, and what was shredded stays shredded.
    return this.#transaction(() => {
      const again = asKeyRow(this.#statements.newest.get(hash));
      if (again?.wrapped) return this.#unwrap(again);
      return this.#insertKey(hash, (again?.version ?? 0) + 1);
    });
  }

  async dataKey(keyId: string): Promise<DataKey> {
    this.#ready();
    if (typeof keyId !== "string" || !KEY_ID.test(keyId)) throw unknownKey();
    const cached = this.#cache.get(keyId);
    if (cached) return issued(cached);
    const row = asKeyRow(this.#statements.byId.get(keyId));
    if (!row) throw unknownKey();
    if (!row.wrapped) throw new FhirLedgerError("gone", "data key destroyed");
    return this.#unwrap(row);
  }

  async rotateDataKey(compartment: string): Promise<DataKey> {
    this.#ready();
    const hash = this.#compartmentHash(compartment);
    return this.#transaction(() => {
      const newest = asKeyRow(this.#statements.newest.get(hash));
      return this.#insertKey(hash, (newest?.version ?? 0) + 1);
    });
  }

  /**
   * Data key rotation (`fhirledger rotate-data-keys`): a new key version for every compartment
   * whose newest key is live, or for the compartments named, in one transaction. Writes after it
   * are sealed under the new keys; the old ones stay to read what they sealed (nothing is
   * re-encrypted). Erased compartments are skipped: their next write makes a new key anyway.
   * When a named compartment has no live key, nothing is rotated and it is listed in `missing`.
   */
  async rotateDataKeys(compartments?: readonly string[]): Promise<{ rotated: number; missing: string[] }> {
    this.#ready();
    const named = compartments?.map((c) => ({ compartment: c, hash: this.#compartmentHash(c) }));
    return this.#transaction(() => {
      let newest: { hash: string; version: number }[];
      if (named) {
        const rows = named.map(({ compartment, hash }) => ({
          compartment,
          row: asKeyRow(this.#statements.newest.get(hash)),
        }));
        const missing = rows.filter(({ row }) => !row?.wrapped).map(({ compartment }) => compartment);
        if (missing.length > 0) return { rotated: 0, missing };
        newest = [...new Map(rows.map(({ row }) => [row!.compartment_hash, row!.version])).entries()].map(
          ([hash, version]) => ({ hash, version }),
        );
      } else {
        newest = this.#statements.newestOfEach
          .all()
          .filter((row) => Number(row.live) === 1)
          .map((row) => ({ hash: String(row.compartment_hash), version: Number(row.version) }));
      }
      for (const { hash, version } of newest) this.#insertKey(hash, version + 1).key.fill(0);
      return { rotated: newest.length, missing: [] };
    });
  }

  async destroyCompartment(compartment: string): Promise<number> {
    this.#ready();
    const hash = this.#compartmentHash(compartment);
    const destroyed = this.#transaction(() => {
      const ids = this.#statements.liveInCompartment.all(hash).map((row) => String(row.key_id));
      this.#statements.destroy.run(this.#now().toISOString(), hash);
      return ids;
    });
    for (const id of destroyed) this.#cache.delete(id);
    // Earlier WAL frames may still hold the wrapped keys; fold them in and truncate.
    this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return destroyed.length;
  }

  /**
   * KEK rotation: re-wraps every live data key (and the compartment HMAC key) under
   * `newKek` in one transaction; no data is re-encrypted. When the KEK is
   * file-managed the new one is first written to kek.key.next and renamed over
   * kek.key after the commit, so a crash at any point leaves a KEK that opens the
   * database (open() finishes or discards the half-done rename). With a configured
   * KEK the caller must switch the configuration to `newKek` before restarting.
   */
  async rewrapAll(newKek: Uint8Array): Promise<{ rewrapped: number }> {
    this.#ready();
    if (newKek.byteLength !== KEK_BYTES)
      throw new FhirLedgerError("internal", `the new KEK must be ${KEK_BYTES} bytes`);
    if (this.#rewrapping) throw new FhirLedgerError("conflict", "a KEK rotation is already running");
    const next = new Uint8Array(newKek);
    const nextId = kekId(next);
    if (nextId === this.#kekId) return { rewrapped: 0 };
    this.#rewrapping = true;
    try {
      if (this.#fileManaged) await writeSecretFile({ path: join(this.#dir, NEXT_KEK_FILE), bytes: next });
      this.#ready();
      const rewrapped = this.#transaction(() => {
        this.#assertKekCurrent();
        const rows = this.#statements.allLive.all().map((row) => asKeyRow(row) as KeyRow);
        for (const row of rows) {
          const key = this.#unwrapBytes(row);
          const wrapped = aesGcmEncrypt({ key: next, plaintext: key, aad: keyAad(row, nextId) });
          key.fill(0);
          this.#statements.rewrap.run(nextId, wrapped, row.key_id);
        }
        for (const row of this.#statements.allSigningKeys.all()) {
          const kid = String(row.kid);
          const alg = String(row.alg);
          const pkcs8 = this.#unwrapSigningBytes(row);
          const wrapped = aesGcmEncrypt({ key: next, plaintext: pkcs8, aad: signingKeyAad(kid, alg, nextId) });
          pkcs8.fill(0);
          this.#db.prepare("UPDATE signing_keys SET kek_id = ?, wrapped = ? WHERE kid = ?").run(nextId, wrapped, kid);
        }
        const sealed = aesGcmEncrypt({
          key: next,
          plaintext: this.#compartmentKey,
          aad: secretAad(COMPARTMENT_SECRET, nextId),
        });
        this.#db
          .prepare("UPDATE secrets SET kek_id = ?, wrapped = ? WHERE name = ?")
          .run(nextId, sealed, COMPARTMENT_SECRET);
        return rows.length;
      });
      // Switch in the same synchronous step as the commit: no key can be wrapped
      // under the old KEK after the database moved to the new one.
      this.#kek.fill(0);
      this.#kek = next;
      this.#kekId = nextId;
      if (this.#fileManaged) await rename(join(this.#dir, NEXT_KEK_FILE), join(this.#dir, KEK_FILE));
      if (!this.#closed) this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      return { rewrapped };
    } catch (error) {
      if (this.#fileManaged && this.#kekId !== nextId) {
        await unlink(join(this.#dir, NEXT_KEK_FILE)).catch(() => undefined);
      }
      throw error;
    } finally {
      this.#rewrapping = false;
    }
  }

  async signingKeys(alg: SigningAlgorithm): Promise<SigningKey[]> {
    this.#ready();
    assertSigningAlgorithm(alg);
    const rows = this.#statements.signingKeys.all(alg);
    if (rows.length > 0) return rows.map((row) => this.#signingKey(row));
    return this.#transaction(() => {
      const again = this.#statements.signingKeys.all(alg);
      if (again.length > 0) return again.map((row) => this.#signingKey(row));
      return [this.#insertSigningKey(alg)];
    });
  }

  async rotateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
    this.#ready();
    assertSigningAlgorithm(alg);
    return this.#transaction(() => {
      const now = this.#now().toISOString();
      this.#db.prepare("UPDATE signing_keys SET retired_at = ? WHERE alg = ? AND retired_at IS NULL").run(now, alg);
      const key = this.#insertSigningKey(alg);
      // Keys older than the few kept have outlived every token they signed (tokens live an hour at most).
      const kept = this.#statements.signingKeys.all(alg).map((row) => String(row.kid));
      for (const kid of kept.slice(KEPT_SIGNING_KEYS))
        this.#db.prepare("DELETE FROM signing_keys WHERE kid = ?").run(kid);
      return key;
    });
  }

  /** Call inside a write transaction. */
  #insertSigningKey(alg: SigningAlgorithm): SigningKey {
    this.#assertKekCurrent();
    const { kid, privateKey, pkcs8 } = generateSigningKey(alg);
    const wrapped = aesGcmEncrypt({ key: this.#kek, plaintext: pkcs8, aad: signingKeyAad(kid, alg, this.#kekId) });
    pkcs8.fill(0);
    const createdAt = this.#now();
    this.#db
      .prepare("INSERT INTO signing_keys (kid, alg, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(kid, alg, this.#kekId, wrapped, createdAt.toISOString());
    return { kid, alg, privateKey, createdAt, retiredAt: null };
  }

  #signingKey(row: Record<string, unknown>): SigningKey {
    const alg = row.alg;
    assertSigningAlgorithm(alg);
    const pkcs8 = this.#unwrapSigningBytes(row);
    try {
      return {
        kid: String(row.kid),
        alg,
        privateKey: importSigningKey(pkcs8),
        createdAt: new Date(String(row.created_at)),
        retiredAt: row.retired_at === null ? null : new Date(String(row.retired_at)),
      };
    } finally {
      pkcs8.fill(0);
    }
  }

  #unwrapSigningBytes(row: Record<string, unknown>): Uint8Array {
    if (row.kek_id !== this.#kekId || !(row.wrapped instanceof Uint8Array))
      throw new FhirLedgerError("integrity", "signing key is wrapped under another KEK");
    try {
      return aesGcmDecrypt({
        key: this.#kek,
        sealed: row.wrapped,
        aad: signingKeyAad(String(row.kid), String(row.alg), this.#kekId),
      });
    } catch (cause) {
      throw new FhirLedgerError("integrity", "signing key could not be unwrapped", { cause });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    this.#kek.fill(0);
    this.#compartmentKey.fill(0);
    this.#db.close();
  }

  #ready(): void {
    if (this.#closed) throw new FhirLedgerError("unavailable", "key store is closed");
    // data_version changes only when another connection commits (e.g. an erasure run
    // from the CLI); then cached keys may have been destroyed, so forget them all. Asking
    // costs a read transaction, as much as the rest of a cached lookup, so hot paths ask at
    // most every DATA_VERSION_RECHECK_MS: another process's erasure is seen within that time
    // (this process's own erasures drop their keys from the cache at once).
    const now = performance.now();
    if (now - this.#dataVersionCheckedAt < DATA_VERSION_RECHECK_MS) return;
    this.#dataVersionCheckedAt = now;
    const version = this.#statements.dataVersion.get()?.data_version;
    if (version !== this.#dataVersion) {
      this.#cache.clear();
      this.#dataVersion = version;
    }
  }

  /**
   * Derived (HKDF-SHA-256) from the compartment-name secret, which the key database keeps
   * wrapped by the KEK and rotate-kek re-wraps: one stored secret, two independent keys.
   */
  async searchIndexKey(): Promise<Uint8Array> {
    this.#ready();
    return new Uint8Array(
      hkdfSync("sha256", this.#compartmentKey, new Uint8Array(0), "fhirledger search index v1", 32),
    );
  }

  #compartmentHash(compartment: string): string {
    if (typeof compartment !== "string" || compartment.length === 0 || compartment.length > MAX_COMPARTMENT_LENGTH) {
      throw new FhirLedgerError("invalid", "compartment must be a non-empty string of at most 1024 characters");
    }
    const known = this.#compartmentHashes.get(compartment);
    if (known !== undefined) return known;
    const hash = createHmac("sha256", this.#compartmentHmacKey).update(compartment, "utf8").digest("hex");
    this.#compartmentHashes.set(compartment, hash);
    return hash;
  }

  #transaction<T>(body: () => T): T {
    return immediateTransaction(this.#db, body);
  }

  /**
   * Refuses to wrap under a KEK the database has moved away from: another process (a
   * rotate-kek that got past the data directory lock, or a second server on the same keys)
   * re-wrapped every key under a new KEK, and a key wrapped under this process's old one would
   * be unreadable after the next start, and so would every record sealed with it. Called inside
   * the write transaction that wraps, so no rotation can commit in between.
   */
  #assertKekCurrent(): void {
    const stored = this.#statements.secretKekId.get(COMPARTMENT_SECRET)?.kek_id;
    if (stored !== this.#kekId) {
      throw new FhirLedgerError(
        "unavailable",
        `the key database is now wrapped under KEK ${String(stored)}, but this process holds KEK ${this.#kekId} ` +
          "(another process rotated the KEK): no key was wrapped; restart with the new KEK",
      );
    }
  }

  /** Call inside a write transaction (see #assertKekCurrent). */
  #insertKey(compartmentHash: string, version: number): DataKey {
    this.#assertKekCurrent();
    const row = { key_id: randomBytes(16).toString("base64url"), compartment_hash: compartmentHash, version };
    const key = new Uint8Array(randomBytes(DATA_KEY_BYTES));
    const wrapped = aesGcmEncrypt({ key: this.#kek, plaintext: key, aad: keyAad(row, this.#kekId) });
    this.#statements.insert.run(row.key_id, compartmentHash, version, this.#kekId, wrapped, this.#now().toISOString());
    return this.#remember(row.key_id, key);
  }

  #unwrap(row: KeyRow): DataKey {
    const cached = this.#cache.get(row.key_id);
    if (cached) return issued(cached);
    return this.#remember(row.key_id, this.#unwrapBytes(row));
  }

  /** Caches a plaintext data key with its node:crypto handle, imported once. */
  #remember(keyId: string, key: Uint8Array): DataKey {
    const entry = { keyId, key, handle: createSecretKey(key) };
    this.#cache.set(keyId, entry);
    return issued(entry);
  }

  #unwrapBytes(row: KeyRow): Uint8Array {
    if (!row.wrapped) throw new FhirLedgerError("gone", "data key destroyed");
    if (row.kek_id !== this.#kekId) {
      this.#assertKekCurrent(); // the whole database moved to another KEK: say so
      throw new FhirLedgerError("integrity", "data key is wrapped under another KEK");
    }
    let key: Uint8Array;
    try {
      key = aesGcmDecrypt({ key: this.#kek, sealed: row.wrapped, aad: keyAad(row, this.#kekId) });
    } catch (cause) {
      throw new FhirLedgerError("integrity", "data key could not be unwrapped", { cause });
    }
    if (key.byteLength !== DATA_KEY_BYTES) throw new FhirLedgerError("integrity", "data key could not be unwrapped");
    return key;
  }
}

/** What callers get: their own copy of the bytes (theirs to wipe) and the shared handle. */
function issued(entry: DataKey): DataKey {
  return { keyId: entry.keyId, key: new Uint8Array(entry.key), ...(entry.handle ? { handle: entry.handle } : {}) };
}
