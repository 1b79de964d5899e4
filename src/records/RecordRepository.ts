import { canonicalJson } from "../crypto/canonicalJson.ts";
import { openEnvelope, sealEnvelope } from "../crypto/envelope.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { BlobStore } from "../ports/BlobStore.ts";
import type { Index, VersionRow } from "../ports/Index.ts";
import type { KeyStore } from "../ports/KeyStore.ts";
import { KeyedMutex } from "./KeyedMutex.ts";
import { recordLeafHash } from "./leaf.ts";

export type FhirResource = Record<string, unknown> & { resourceType: string; id?: string; meta?: Record<string, unknown> };

/** A stored version with its plaintext (absent for delete markers). */
export interface StoredVersion {
  row: VersionRow;
  resource: FhirResource | null;
}

/** Delete markers have no blob; their leaf commits to this marker in place of a CID. */
export const DELETED_MARKER_CID = "deleted";
const SHARED_COMPARTMENT = "_shared";

export interface RecordRepositoryOptions {
  index: Index;
  blobs: BlobStore;
  keys: KeyStore;
  /** Patient compartment of a resource ("Patient/<id>") or null. */
  compartmentOf: (resource: FhirResource) => string | null;
  now?: () => Date;
}

/**
 * The one write/read pipeline: canonical JSON → SHA-256 → AES-256-GCM under the patient's
 * data key → BlobStore → one index transaction (version row + log leaf). Reads decrypt and
 * check the plaintext against the committed hash and leaf before anything is served.
 */
export class RecordRepository {
  readonly #index: Index;
  readonly #blobs: BlobStore;
  readonly #keys: KeyStore;
  readonly #compartmentOf: (resource: FhirResource) => string | null;
  readonly #now: () => Date;
  readonly #locks = new KeyedMutex();

  constructor(options: RecordRepositoryOptions) {
    this.#index = options.index;
    this.#blobs = options.blobs;
    this.#keys = options.keys;
    this.#compartmentOf = options.compartmentOf;
    this.#now = options.now ?? (() => new Date());
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
    options: { ifMatch?: number; mustNotExist?: boolean; /** Overrides the patient compartment (audit records use null). */ compartment?: string | null } = {},
  ): Promise<StoredVersion & { created: boolean }> {
    return this.#locks.run(`${type}/${id}`, async () => {
      const current = this.#index.current(type, id);
      if (options.mustNotExist && current) throw new FhirLedgerError("conflict", `${type}/${id} already exists`);
      const previous = current?.versionId ?? 0;
      if (options.ifMatch !== undefined && options.ifMatch !== previous) {
        throw new FhirLedgerError("precondition-failed", `If-Match version ${options.ifMatch} does not match current version ${previous}`);
      }
      const versionId = previous + 1;
      const lastUpdated = this.#now().toISOString();
      const meta = { ...(resource.meta ?? {}), versionId: String(versionId), lastUpdated };
      const stored: FhirResource = { ...resource, resourceType: type, id, meta };
      const plaintext = new TextEncoder().encode(canonicalJson(stored));
      const contentHash = toHex(sha256(plaintext));
      const compartment = options.compartment !== undefined ? options.compartment : this.#compartmentOf(stored);
      const key = await this.#keys.currentDataKey(compartment ?? SHARED_COMPARTMENT);
      const envelope = sealEnvelope({ plaintext, key, aad: { type, id, versionId: String(versionId) } });
      const cid = await this.#blobs.put(envelope);
      const leafHash = recordLeafHash({ type, id, versionId: String(versionId), cid, contentHash });
      const row = this.#index.commit({
        type, id, versionId, lastUpdated, deleted: false, cid, contentHash, keyId: key.keyId, compartment,
        leafHash, expectedPreviousVersion: previous, resource: stored,
      });
      return { row, resource: stored, created: current === null || current.deleted };
    });
  }

  /**
   * Records a delete marker as a new version; deleting a deleted or absent resource is a no-op.
   * @see https://hl7.org/fhir/R4/http.html#delete
   */
  async delete(type: string, id: string): Promise<VersionRow | null> {
    return this.#locks.run(`${type}/${id}`, async () => {
      const current = this.#index.current(type, id);
      if (!current || current.deleted) return null;
      const versionId = current.versionId + 1;
      const contentHash = toHex(sha256(new Uint8Array(0)));
      const leafHash = recordLeafHash({ type, id, versionId: String(versionId), cid: DELETED_MARKER_CID, contentHash });
      return this.#index.commit({
        type, id, versionId, lastUpdated: this.#now().toISOString(), deleted: true, cid: null, contentHash, keyId: null,
        compartment: current.compartment, leafHash, expectedPreviousVersion: current.versionId,
      });
    });
  }

  /**
   * Crypto-shredding of a patient: destroys the compartment's data keys, removes the index rows
   * of every resource in it and deletes their blobs. Copies of the blobs kept elsewhere can no
   * longer be decrypted; the log leaves and anchored roots stay and reveal nothing.
   */
  async eraseCompartment(compartment: string): Promise<{ resources: number; versions: number; blobs: number; keys: number }> {
    const keys = await this.#keys.destroyCompartment(compartment);
    const erased = this.#index.eraseCompartment(compartment);
    let blobs = 0;
    for (const cid of erased.cids) {
      await this.#blobs.delete(cid);
      blobs += 1;
    }
    return { resources: erased.resources.length, versions: erased.versions, blobs, keys };
  }

  /** @see https://hl7.org/fhir/R4/http.html#read */
  async read(type: string, id: string): Promise<StoredVersion> {
    const current = this.#index.current(type, id);
    if (!current) throw new FhirLedgerError("not-found", `${type}/${id} is not known`);
    const version = this.#index.version(type, id, current.versionId);
    if (!version) throw new FhirLedgerError("integrity", "index has no row for the current version");
    if (version.deleted) throw new FhirLedgerError("gone", `${type}/${id} was deleted`);
    return this.load(version);
  }

  /** @see https://hl7.org/fhir/R4/http.html#vread */
  async vread(type: string, id: string, versionId: number): Promise<StoredVersion> {
    const version = this.#index.version(type, id, versionId);
    if (!version) throw new FhirLedgerError("not-found", `${type}/${id}/_history/${versionId} is not known`);
    if (version.deleted) throw new FhirLedgerError("gone", `${type}/${id}/_history/${versionId} is a delete`);
    return this.load(version);
  }

  /** Versions newest first, each decrypted and checked. @see https://hl7.org/fhir/R4/http.html#history */
  async history(type: string, id: string): Promise<StoredVersion[]> {
    const versions = this.#index.history(type, id);
    if (versions.length === 0) throw new FhirLedgerError("not-found", `${type}/${id} is not known`);
    return Promise.all(versions.map((v) => (v.deleted ? { row: v, resource: null } : this.load(v))));
  }

  /** Decrypts a version and checks it against its content hash and log leaf. */
  async load(version: VersionRow): Promise<StoredVersion> {
    const checked = await this.check(version);
    if (!checked.ok) throw new FhirLedgerError("integrity", `stored record failed its integrity check (${checked.reason})`);
    return { row: version, resource: checked.resource };
  }

  /** Integrity check of one version without throwing: used by reads and by $verify. */
  async check(version: VersionRow): Promise<{ ok: true; resource: FhirResource | null; leafHash: Uint8Array } | { ok: false; reason: string; leafHash: Uint8Array }> {
    const proof = this.#index.leafProof(version.leafSeq);
    const versionId = String(version.versionId);
    const expectedLeaf = recordLeafHash({
      type: version.type, id: version.id, versionId, cid: version.cid ?? DELETED_MARKER_CID, contentHash: version.contentHash,
    });
    if (!proof || !equalBytes(proof.leafHash, expectedLeaf)) return { ok: false, reason: "index row does not match its log leaf", leafHash: expectedLeaf };
    if (version.deleted) return { ok: true, resource: null, leafHash: expectedLeaf };
    let plaintext: Uint8Array;
    try {
      const envelope = await this.#blobs.get(version.cid!);
      plaintext = await openEnvelope({ envelope, keyFor: (keyId) => this.#keys.dataKey(keyId), aad: { type: version.type, id: version.id, versionId } });
    } catch (error) {
      if (error instanceof FhirLedgerError && error.code === "gone") throw error;
      return { ok: false, reason: error instanceof FhirLedgerError && error.code === "not-found" ? "blob missing" : "blob does not decrypt", leafHash: expectedLeaf };
    }
    if (toHex(sha256(plaintext)) !== version.contentHash) return { ok: false, reason: "plaintext does not match its hash", leafHash: expectedLeaf };
    return { ok: true, resource: JSON.parse(new TextDecoder().decode(plaintext)) as FhirResource, leafHash: expectedLeaf };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
