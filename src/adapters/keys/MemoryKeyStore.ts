import { createSecretKey, randomBytes } from "node:crypto";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { DataKey, KeyStore, SigningAlgorithm, SigningKey } from "../../ports/KeyStore.ts";
import { KEPT_SIGNING_KEYS, assertSigningAlgorithm, generateSigningKey } from "./signingKeys.ts";

const MAX_COMPARTMENT_LENGTH = 1024;

interface Version {
  keyId: string;
  compartment: string;
  key: Uint8Array | null; // null once destroyed
}

/**
 * KeyStore in process memory, with FileKeyStore's semantics (versions per compartment, a new
 * version after destruction, "gone" for destroyed keys, "integrity" for unknown ones) and no
 * KEK: for tests and benchmarks that need keys but not their persistence.
 */
export class MemoryKeyStore implements KeyStore {
  readonly #byId = new Map<string, Version>();
  readonly #versions = new Map<string, Version[]>();
  #closed = false;
  readonly #signing = new Map<SigningAlgorithm, SigningKey[]>();
  readonly #searchIndexKey = new Uint8Array(randomBytes(32));

  async searchIndexKey(): Promise<Uint8Array> {
    return new Uint8Array(this.#searchIndexKey);
  }

  async currentDataKey(compartment: string): Promise<DataKey> {
    const versions = this.#compartment(compartment);
    const newest = versions.at(-1);
    return newest?.key ? issued(newest.keyId, newest.key) : this.#add(compartment);
  }

  async dataKey(keyId: string): Promise<DataKey> {
    this.#ready();
    const version = typeof keyId === "string" ? this.#byId.get(keyId) : undefined;
    if (!version) throw new FhirLedgerError("integrity", "unknown data key");
    if (!version.key) throw new FhirLedgerError("gone", "data key destroyed");
    return issued(version.keyId, version.key);
  }

  async rotateDataKey(compartment: string): Promise<DataKey> {
    this.#compartment(compartment);
    return this.#add(compartment);
  }

  async destroyCompartment(compartment: string): Promise<number> {
    let destroyed = 0;
    for (const version of this.#compartment(compartment)) {
      if (!version.key) continue;
      version.key.fill(0);
      version.key = null;
      destroyed += 1;
    }
    return destroyed;
  }

  async signingKeys(alg: SigningAlgorithm): Promise<SigningKey[]> {
    this.#ready();
    assertSigningAlgorithm(alg);
    const kept = this.#signing.get(alg);
    if (kept && kept.length > 0) return [...kept];
    return [await this.rotateSigningKey(alg)];
  }

  async rotateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
    this.#ready();
    assertSigningAlgorithm(alg);
    const now = new Date();
    const older = (this.#signing.get(alg) ?? []).map((k) => (k.retiredAt ? k : { ...k, retiredAt: now }));
    const { kid, privateKey, pkcs8 } = generateSigningKey(alg);
    pkcs8.fill(0);
    const key: SigningKey = { kid, alg, privateKey, createdAt: now, retiredAt: null };
    this.#signing.set(alg, [key, ...older].slice(0, KEPT_SIGNING_KEYS));
    return key;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const version of this.#byId.values()) version.key?.fill(0);
  }

  #ready(): void {
    if (this.#closed) throw new FhirLedgerError("unavailable", "key store is closed");
  }

  #compartment(compartment: string): Version[] {
    this.#ready();
    if (typeof compartment !== "string" || compartment.length === 0 || compartment.length > MAX_COMPARTMENT_LENGTH) {
      throw new FhirLedgerError("invalid", "compartment must be a non-empty string of at most 1024 characters");
    }
    let versions = this.#versions.get(compartment);
    if (!versions) {
      versions = [];
      this.#versions.set(compartment, versions);
    }
    return versions;
  }

  #add(compartment: string): DataKey {
    const version = { keyId: randomBytes(16).toString("base64url"), compartment, key: new Uint8Array(randomBytes(32)) };
    this.#versions.get(compartment)!.push(version);
    this.#byId.set(version.keyId, version);
    return issued(version.keyId, version.key);
  }
}

/** The caller's own copy of the bytes (theirs to wipe), with a node:crypto handle. */
function issued(keyId: string, key: Uint8Array): DataKey {
  return { keyId, key: new Uint8Array(key), handle: createSecretKey(key) };
}
