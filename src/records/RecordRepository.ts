import { canonicalJson } from "../crypto/canonicalJson.ts";
import { equalBytes } from "../crypto/equalBytes.ts";
import { openEnvelope } from "../crypto/envelope.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { copyNumberTexts, parseJson } from "../json/preciseJson.ts";
import type { BlobStore } from "../ports/BlobStore.ts";
import type { TransactionReceiptKey } from "../ports/TransactionReceipts.ts";
import type { VersionRow, VersionStore, VersionWrite } from "../ports/VersionStore.ts";
import type { AnchoringOutbox } from "../ports/AnchoringOutbox.ts";
import { asPreparedSearchRows } from "../fhir/search/packedRows.ts";
import type { DataKey, KeyStore } from "../ports/KeyStore.ts";
import { checkPreconditions } from "./checkPreconditions.ts";
import { KeyedMutex } from "./KeyedMutex.ts";
import { PlaintextCache } from "./PlaintextCache.ts";
import { SharedExclusiveLock } from "./SharedExclusiveLock.ts";
import { inlinePreparer } from "./prepareRecords.ts";
import type { RecordPreparer } from "./prepareRecords.ts";
import { recordLeafHash } from "./leaf.ts";

export type FhirResource = Record<string, unknown> & {
  resourceType: string;
  id?: string;
  meta?: Record<string, unknown>;
};

/** A stored version with its plaintext (absent for delete markers). */
export interface StoredVersion {
  row: VersionRow;
  resource: FhirResource | null;
  /** The resource's JSON exactly as stored (canonical, meta included), when loaded from storage. */
  text?: string | null;
  /** The same JSON as its stored UTF-8 bytes (the decrypted plaintext), when loaded from storage. */
  bytes?: Uint8Array | null;
}

/** Delete markers have no blob; their leaf commits to this marker in place of a CID. */
export const DELETED_MARKER_CID = "deleted";
const SHARED_COMPARTMENT = "_shared";

export interface WriteOptions {
  /** The version the client saw (If-Match), or `*`: any current version; otherwise a 412. */
  ifMatch?: number | "*";
  /** If-None-Match: a 412 when the resource has a current version that is one of these (any, for `*`). */
  ifNoneMatch?: number[] | "*";
  /**
   * A create (POST): a 409 when the resource exists. Without it a write is an update, which
   * creates an absent resource at the id the client chose (update as create).
   */
  mustNotExist?: boolean;
  /** Overrides the patient compartment (audit records use null). */
  compartment?: string | null;
}

export type WriteOperation =
  | ({ kind: "write"; type: string; id: string; resource: FhirResource } & WriteOptions)
  | { kind: "delete"; type: string; id: string; ifMatch?: number | "*" };

export interface RecordRepositoryOptions {
  /** Versions, and the leaf hash of a version fetched without one. */
  index: RecordIndex;
  blobs: BlobStore;
  keys: KeyStore;
  /** Patient compartment of a resource ("Patient/<id>") or null. */
  compartmentOf: (resource: FhirResource) => string | null;
  /** Every patient compartment a resource is in (erasure of any removes it); by default its compartmentOf. */
  compartmentsOf?: (resource: FhirResource) => readonly string[];
  now?: () => Date;
  /** Where records are sealed (and their search rows extracted); inline by default. */
  preparer?: RecordPreparer;
  /** Bytes of decrypted, checked plaintexts kept for reads (PlaintextCache); 0: none. Default 32 MiB. */
  readCacheBytes?: number;
}

/** One resource a committed write changed, as commit observers are told it. */
export interface CommittedChange {
  type: string;
  id: string;
  /** The version as stored (meta included); null for a delete. */
  resource: FhirResource | null;
}

/** What was committed: versions written (a write or a transaction), or a compartment erased. */
export type CommitEvent =
  | { kind: "write"; changes: readonly CommittedChange[] }
  | { kind: "erase"; compartment: string; resources: readonly { type: string; id: string }[] };

/**
 * Told of every commit touching its types, after the index commit and before the write's
 * promise settles, so state derived from those resources (the consent directory) is current
 * for the next request. Synchronous and must not throw (a throw is swallowed: the write is
 * committed either way; an observer that fails keeps its own state right).
 */
export type CommitObserver = (event: CommitEvent) => void;

/** What the pipeline needs of the index. */
export type RecordIndex = VersionStore & Pick<AnchoringOutbox, "leafProof">;

/**
 * The one write/read pipeline: canonical JSON → SHA-256 → AES-256-GCM under the patient's
 * data key → BlobStore → one index transaction (version row + log leaf). Reads decrypt and
 * check the plaintext against the committed hash and leaf before anything is served.
 */
export class RecordRepository {
  readonly #index: RecordIndex;
  readonly #blobs: BlobStore;
  readonly #keys: KeyStore;
  readonly #compartmentOf: (resource: FhirResource) => string | null;
  readonly #compartmentsOf: ((resource: FhirResource) => readonly string[]) | undefined;
  readonly #now: () => Date;
  readonly #preparer: RecordPreparer;
  readonly #locks = new KeyedMutex();
  /**
   * Writes hold it shared, from reading the current version and taking the data key to the
   * commit; an erasure holds it alone. A write racing an erasure so either commits before it
   * (and is erased with the rest) or starts after it: never a version committed under a data
   * key the erasure destroyed.
   */
  readonly #erasure = new SharedExclusiveLock();
  /** Plaintexts of versions read or written lately (see PlaintextCache). */
  readonly #plaintexts: PlaintextCache;
  /** Leaf hashes of cached (frozen) version rows already checked against their leaf. */
  readonly #leafChecked = new WeakMap<VersionRow, Uint8Array>();
  /** Commit observers and the types each watches (see observeCommits). */
  readonly #observers: { types: ReadonlySet<string>; observer: CommitObserver }[] = [];

  constructor(options: RecordRepositoryOptions) {
    this.#index = options.index;
    this.#blobs = options.blobs;
    this.#keys = options.keys;
    this.#compartmentOf = options.compartmentOf;
    this.#compartmentsOf = options.compartmentsOf;
    this.#now = options.now ?? (() => new Date());
    this.#preparer = options.preparer ?? inlinePreparer;
    this.#plaintexts = new PlaintextCache({
      maxBytes: options.readCacheBytes ?? 32 * 1024 * 1024,
      maxEntryBytes: 256 * 1024,
    });
  }

  /**
   * Writes a new version of type/id (create when absent, update otherwise).
   * `ifMatch` is the version the client saw; a different current version is a 412.
   * @see https://hl7.org/fhir/R4/http.html#update
   */
  async write(
    type: string,
    id: string,
    resource: FhirResource,
    options: WriteOptions = {},
  ): Promise<StoredVersion & { created: boolean }> {
    const [result] = await this.writeAll([{ kind: "write", type, id, resource, ...options }]);
    return result as StoredVersion & { created: boolean };
  }

  /**
   * Writes several versions atomically (a FHIR transaction): every record is encrypted and
   * stored first, then all versions and leaves are committed in one index transaction, so
   * either all become visible or none. Later operations on the same resource see the earlier
   * ones. Deletes of absent resources are no-ops (null). A `receipt` (a transaction's
   * idempotency key) is committed in the same index transaction: a key seen before is a
   * "conflict" and nothing is written.
   * @see https://hl7.org/fhir/R4/http.html#transaction
   */
  async writeAll(
    ops: WriteOperation[],
    options: { receipt?: TransactionReceiptKey } = {},
  ): Promise<((StoredVersion & { created: boolean }) | null)[]> {
    return this.#erasure.shared(() =>
      this.#locks.runAll(
        ops.map((op) => `${op.type}/${op.id}`),
        async () => {
          const lastUpdated = this.#now().toISOString();
          const state = new Map<string, { versionId: number; deleted: boolean; compartment: string | null } | null>();
          const currentOf = async (type: string, id: string) => {
            const key = `${type}/${id}`;
            if (!state.has(key)) {
              const c = await this.#index.current(type, id);
              state.set(key, c ? { versionId: c.versionId, deleted: c.deleted, compartment: c.compartment } : null);
            }
            return state.get(key)!;
          };
          const prepared: ({
            write: VersionWrite;
            stored: FhirResource | null;
            created: boolean;
          } | null)[] = [];
          for (const op of ops) {
            const current = await currentOf(op.type, op.id);
            const previous = current?.versionId ?? 0;
            const versionId = previous + 1;
            if (op.kind === "delete") {
              checkPreconditions(op, current);
              if (!current || current.deleted) {
                prepared.push(null);
                continue;
              }
              const contentHash = toHex(sha256(new Uint8Array(0)));
              const leafHash = recordLeafHash({
                type: op.type,
                id: op.id,
                versionId: String(versionId),
                cid: DELETED_MARKER_CID,
                contentHash,
              });
              prepared.push({
                write: {
                  type: op.type,
                  id: op.id,
                  versionId,
                  lastUpdated,
                  deleted: true,
                  cid: null,
                  contentHash,
                  keyId: null,
                  compartment: current.compartment,
                  leafHash,
                  expectedPreviousVersion: previous,
                },
                stored: null,
                created: false,
              });
              state.set(`${op.type}/${op.id}`, { versionId, deleted: true, compartment: current.compartment });
              continue;
            }
            if (op.mustNotExist && current && !current.deleted)
              throw new FhirLedgerError("conflict", `${op.type}/${op.id} already exists`);
            checkPreconditions(op, current);
            const live = current !== null && !current.deleted;
            const meta = { ...(op.resource.meta ?? {}), versionId: String(versionId), lastUpdated };
            const stored: FhirResource = { ...op.resource, resourceType: op.type, id: op.id, meta };
            copyNumberTexts(op.resource, stored);
            const compartment = op.compartment !== undefined ? op.compartment : this.#compartmentOf(stored);
            // an explicit compartment (audit records: none) is the only one
            const compartments =
              op.compartment !== undefined || !this.#compartmentsOf ? [] : this.#compartmentsOf(stored);
            const created = !live;
            // History shows this version as the PUT it was, not as a POST (see historyEntry).
            const createdByUpdate = created && op.mustNotExist !== true ? { createdByUpdate: true } : {};
            prepared.push({
              write: {
                type: op.type,
                id: op.id,
                versionId,
                lastUpdated,
                deleted: false,
                cid: "",
                contentHash: "",
                keyId: null,
                compartment,
                leafHash: new Uint8Array(),
                expectedPreviousVersion: previous,
                resource: stored,
                ...(compartments.length > 0 ? { compartments } : {}),
                ...createdByUpdate,
              },
              stored,
              created,
            });
            state.set(`${op.type}/${op.id}`, { versionId, deleted: false, compartment });
          }
          // Seal every record (on the preparer's thread, with its search rows when it extracts
          // them), store the envelopes, then commit all rows at once. One key lookup per
          // compartment: a patient's transaction bundle is hundreds of entries, one key.
          const keys = new Map<string, DataKey>();
          const sealing = prepared.filter(
            (p): p is NonNullable<typeof p> & { stored: FhirResource } => p !== null && p.stored !== null,
          );
          for (const p of sealing) {
            const compartment = p.write.compartment ?? SHARED_COMPARTMENT;
            if (!keys.has(compartment)) keys.set(compartment, await this.#keys.currentDataKey(compartment));
          }
          const keyOf = (p: (typeof sealing)[number]) => keys.get(p.write.compartment ?? SHARED_COMPARTMENT)!;
          const sealed = await this.#preparer.prepare(
            sealing.map((p) => ({
              text: canonicalJson(p.stored),
              type: p.write.type,
              id: p.write.id,
              versionId: String(p.write.versionId),
              keyId: keyOf(p).keyId,
            })),
            [...keys.values()],
            { extract: true },
          );
          await Promise.all(
            sealing.map(async (p, i) => {
              const { envelope, cid: storedCid, contentHash, rows } = sealed[i]!;
              const { write } = p;
              const cid = storedCid ?? (await this.#blobs.put(envelope!));
              Object.assign(write, {
                cid,
                contentHash,
                keyId: keyOf(p).keyId,
                leafHash: recordLeafHash({
                  type: write.type,
                  id: write.id,
                  versionId: String(write.versionId),
                  cid,
                  contentHash,
                }),
                ...(rows ? { searchRows: asPreparedSearchRows(rows) } : {}),
              });
            }),
          );
          const live = prepared.filter((p): p is NonNullable<typeof p> => p !== null);
          const rows = await this.#index.commitMany(
            live.map((p) => p.write),
            options.receipt,
          );
          if (this.#observers.length > 0)
            this.#tell(live.map((p) => ({ type: p.write.type, id: p.write.id, resource: p.stored })));
          let i = 0;
          return prepared.map((p) => (p === null ? null : { row: rows[i++]!, resource: p.stored, created: p.created }));
        },
      ),
    );
  }

  /**
   * Records a delete marker as a new version; deleting a deleted or absent resource is a no-op,
   * unless `ifMatch` is given: then it must name the current version (`*`: any), or it is a 412.
   * @see https://hl7.org/fhir/R4/http.html#delete
   * @see https://hl7.org/fhir/R4/http.html#concurrency
   */
  async delete(type: string, id: string, options: { ifMatch?: number | "*" } = {}): Promise<VersionRow | null> {
    const [result] = await this.writeAll([{ kind: "delete", type, id, ...options }]);
    return result?.row ?? null;
  }

  /**
   * Crypto-shredding of a patient: destroys the compartment's data keys, removes the index rows
   * of every resource in it (every resource with a version encrypted under its key, and the
   * ones `members` finds: those that name the patient otherwise) and deletes their blobs.
   * Copies of the blobs kept elsewhere can no longer be decrypted; the log leaves and anchored
   * roots stay and reveal nothing. No write runs meanwhile (see #erasure), so `members` sees
   * the final state and nothing is committed under a destroyed key.
   */
  async eraseCompartment<Found extends { resources: { type: string; id: string }[]; namedBy?: readonly string[] }>(
    compartment: string,
    members: () => Promise<Found>,
  ): Promise<{ resources: number; versions: number; blobs: number; keys: number; found: Found }> {
    return this.#erasure.exclusive(async () => {
      const found = await members();
      const keys = await this.#keys.destroyCompartment(compartment);
      const erased = await this.#index.eraseCompartment(compartment, found.resources, found.namedBy ?? []);
      for (const cid of erased.cids) this.#plaintexts.delete(cid);
      this.#tellErased(compartment, erased.resources);
      let blobs = 0;
      for (const cid of erased.cids) {
        await this.#blobs.delete(cid);
        blobs += 1;
      }
      return { resources: erased.resources.length, versions: erased.versions, blobs, keys, found };
    });
  }

  /**
   * Calls `observer` after each commit that writes or deletes a resource of one of `types`, and
   * after each erasure (with every resource it removed), inside the write's locks: observers
   * see the commits of one resource in order. Returns the function that stops it.
   */
  observeCommits(types: readonly string[], observer: CommitObserver): () => void {
    const entry = { types: new Set(types), observer };
    this.#observers.push(entry);
    return () => {
      const at = this.#observers.indexOf(entry);
      if (at >= 0) this.#observers.splice(at, 1);
    };
  }

  #tell(changes: readonly CommittedChange[]): void {
    for (const { types, observer } of this.#observers) {
      const seen = changes.filter((c) => types.has(c.type));
      if (seen.length === 0) continue;
      try {
        observer({ kind: "write", changes: seen });
      } catch {
        // the write is committed; the observer keeps its own state right (see CommitObserver)
      }
    }
  }

  #tellErased(compartment: string, resources: readonly { type: string; id: string }[]): void {
    for (const { observer } of this.#observers) {
      try {
        observer({ kind: "erase", compartment, resources });
      } catch {
        // as in #tell
      }
    }
  }

  /** @see https://hl7.org/fhir/R4/http.html#read */
  async read(type: string, id: string): Promise<StoredVersion> {
    const version = await this.#index.currentVersion(type, id);
    if (!version) throw new FhirLedgerError("not-found", `${type}/${id} is not known`);
    if (version.deleted) throw new FhirLedgerError("gone", `${type}/${id} was deleted`);
    return this.load(version);
  }

  /** @see https://hl7.org/fhir/R4/http.html#vread */
  async vread(type: string, id: string, versionId: number): Promise<StoredVersion> {
    const version = await this.#index.version(type, id, versionId);
    if (!version) throw new FhirLedgerError("not-found", `${type}/${id}/_history/${versionId} is not known`);
    if (version.deleted) throw new FhirLedgerError("gone", `${type}/${id}/_history/${versionId} is a delete`);
    return this.load(version);
  }

  /** Decrypts a version and checks it against its content hash and log leaf. */
  async load(version: VersionRow): Promise<StoredVersion> {
    const checked = await this.check(version);
    if (!checked.ok)
      throw new FhirLedgerError("integrity", `stored record failed its integrity check (${checked.reason})`);
    return new LoadedVersion(version, checked.plaintext);
  }

  /**
   * Integrity check of one version without throwing: used by reads and by $verify. A read takes
   * the plaintext from the cache when that envelope was decrypted and checked before
   * (`fresh`: never; $verify asks the stores again); the log leaf is checked either way.
   */
  async check(
    version: VersionRow,
    options: { fresh?: boolean } = {},
  ): Promise<
    | { ok: true; plaintext: Uint8Array | null; leafHash: Uint8Array }
    | { ok: false; reason: string; leafHash: Uint8Array }
  > {
    const versionId = String(version.versionId);
    // $verify (fresh) checks again whatever a read found before
    let expectedLeaf = options.fresh ? undefined : this.#leafChecked.get(version);
    if (expectedLeaf === undefined) {
      const leafHash = version.leafHash ?? (await this.#index.leafProof(version.leafSeq))?.leafHash;
      expectedLeaf = recordLeafHash({
        type: version.type,
        id: version.id,
        versionId,
        cid: version.cid ?? DELETED_MARKER_CID,
        contentHash: version.contentHash,
      });
      if (!leafHash || !equalBytes(leafHash, expectedLeaf))
        return { ok: false, reason: "index row does not match its log leaf", leafHash: expectedLeaf };
      // A frozen row is the index's cached one, the same object on every read: checked once.
      if (Object.isFrozen(version) && !options.fresh) this.#leafChecked.set(version, expectedLeaf);
    }
    if (version.deleted) return { ok: true, plaintext: null, leafHash: expectedLeaf };
    const cached = options.fresh ? undefined : this.#plaintexts.get(version.cid!, version.contentHash);
    if (cached !== undefined) return { ok: true, plaintext: cached, leafHash: expectedLeaf };
    let plaintext: Uint8Array;
    try {
      // Local stores read a block of a few KiB in one blocking call: four event-loop round trips
      // through the thread pool cost more than the read itself (GET by id throughput).
      const envelope = this.#blobs.getSync ? this.#blobs.getSync(version.cid!) : await this.#blobs.get(version.cid!);
      plaintext = await openEnvelope({
        envelope,
        keyFor: (keyId) => this.#keys.dataKey(keyId),
        aad: { type: version.type, id: version.id, versionId },
      });
    } catch (error) {
      if (error instanceof FhirLedgerError && error.code === "gone") throw error;
      return {
        ok: false,
        reason:
          error instanceof FhirLedgerError && error.code === "not-found" ? "blob missing" : "blob does not decrypt",
        leafHash: expectedLeaf,
      };
    }
    if (toHex(sha256(plaintext)) !== version.contentHash)
      return { ok: false, reason: "plaintext does not match its hash", leafHash: expectedLeaf };
    // Reads fill the cache; a $verify (fresh) does not: what it checked is not then served
    // from memory while the stored copy may have changed.
    if (!options.fresh) this.#plaintexts.set(version.cid!, version.contentHash, plaintext);
    return { ok: true, plaintext, leafHash: expectedLeaf };
  }
}

const UTF8 = new TextDecoder();

/**
 * A version read from storage, parsed on first use: a plain read serves `text` as it is.
 * A class rather than an object literal with a getter: V8 builds that literal in dictionary
 * mode through its runtime, and the text and row its getter's closure held then survived
 * young-generation collections: every read's text was promoted to the old generation (about
 * 5 MB per scavenge under a GET-by-id load, and 20-30 ms scavenge pauses).
 */
class LoadedVersion implements StoredVersion {
  readonly row: VersionRow;
  /** The plaintext: a plain read sends these bytes as they are, without decoding them. */
  readonly bytes: Uint8Array | null;
  #text: string | null | undefined;
  #parsed: FhirResource | null | undefined;

  constructor(row: VersionRow, bytes: Uint8Array | null) {
    this.row = row;
    this.bytes = bytes;
  }

  get text(): string | null {
    return (this.#text ??= this.bytes === null ? null : UTF8.decode(this.bytes));
  }

  get resource(): FhirResource | null {
    return (this.#parsed ??= this.text === null ? null : (parseJson(this.text) as FhirResource));
  }
}
