import type { KeyObject } from "node:crypto";

/** A 256-bit data key with an opaque id (the id reveals nothing about the patient). */
export interface DataKey {
  keyId: string;
  key: Uint8Array;
  /**
   * The same key imported once into node:crypto, when the store keeps one: creating a
   * KeyObject from raw bytes on every decrypt costs more than decrypting a small record.
   */
  handle?: KeyObject;
}

/** The algorithms the authorization server signs with: ES256 for access tokens, RS256 for id_tokens. */
export type SigningAlgorithm = "ES256" | "RS256";

/** A token-signing key pair, kept wrapped by the KEK like the data keys. */
export interface SigningKey {
  /** Key id published in the JWKS and set in each token's header. */
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  createdAt: Date;
  /** When a newer key replaced it; its public key stays in the JWKS while tokens it signed live. */
  retiredAt: Date | null;
}

/**
 * Key-encryption key (KEK) plus per-compartment data keys, wrapped by the KEK.
 * A compartment is "Patient/<id>" for patient data or "_shared" for everything else.
 */
export interface KeyStore {
  /** Newest data key of the compartment, created on first use. */
  currentDataKey(compartment: string): Promise<DataKey>;
  /** A data key by id; throws FhirLedgerError "integrity"/"gone" when destroyed or unknown. */
  dataKey(keyId: string): Promise<DataKey>;
  /** Adds a new version for the compartment; later writes use it. */
  rotateDataKey(compartment: string): Promise<DataKey>;
  /**
   * The 256-bit secret the index seals and blinds search values under (no name, identifier
   * or code is stored in clear there). Stable for the life of the key store: the index's
   * contents depend on it; protected by the KEK like every data key.
   */
  searchIndexKey(): Promise<Uint8Array>;
  /**
   * The signing keys of `alg` still kept, newest (the one to sign with) first; the first one is
   * created on first use. Older ones carry `retiredAt`.
   */
  signingKeys(alg: SigningAlgorithm): Promise<SigningKey[]>;
  /** Starts a new signing key of `alg` (`fhirledger rotate-signing-key`); the previous one is retired, not deleted. */
  rotateSigningKey(alg: SigningAlgorithm): Promise<SigningKey>;
  /** Crypto-shredding: destroys every key of the compartment. */
  destroyCompartment(compartment: string): Promise<number>;
  close(): Promise<void>;
}
