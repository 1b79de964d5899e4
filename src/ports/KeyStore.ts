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
  /** Crypto-shredding: destroys every key of the compartment. */
  destroyCompartment(compartment: string): Promise<number>;
  close(): Promise<void>;
}
