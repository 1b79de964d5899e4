import { KeyObject, createCipheriv, randomFillSync } from "node:crypto";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const AES256_KEY_BYTES = 32;

export interface AesGcmEncryptParameters {
  key: Uint8Array | KeyObject;
  plaintext: Uint8Array;
  aad: Uint8Array;
}

/** AES-256-GCM with a fresh random 96-bit nonce; returns nonce || ciphertext || tag. */
export function aesGcmEncrypt({ key, plaintext, aad }: AesGcmEncryptParameters): Uint8Array {
  if (keyBytes(key) !== AES256_KEY_BYTES) {
    throw new FhirLedgerError("internal", "AES-256-GCM needs a 256-bit key");
  }
  // NIST SP 800-38D caps random-nonce use at 2^32 messages per key. A patient's key seals
  // few; the shared key seals every AuditEvent, and nothing rotates it by itself: an operator
  // starts new data keys with `fhirledger rotate-data-keys` (server stopped).
  const nonce = nextNonce();
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const out = new Uint8Array(GCM_NONCE_BYTES + plaintext.byteLength + GCM_TAG_BYTES);
  out.set(nonce, 0);
  const body = cipher.update(plaintext);
  out.set(body, GCM_NONCE_BYTES);
  const rest = cipher.final(); // empty for GCM, kept for correctness
  out.set(rest, GCM_NONCE_BYTES + body.byteLength);
  out.set(cipher.getAuthTag(), GCM_NONCE_BYTES + plaintext.byteLength);
  return out;
}

/** Length in bytes of a raw or imported symmetric key. */
export function keyBytes(key: Uint8Array | KeyObject): number | undefined {
  return key instanceof KeyObject ? key.symmetricKeySize : key.byteLength;
}

// Nonces come from the CSPRNG 512 at a time: one call per nonce costs more than encrypting a
// small record. Each slice is handed out once and never reused.
const NONCE_POOL = Buffer.alloc(GCM_NONCE_BYTES * 512);
let nonceAt = NONCE_POOL.byteLength;

function nextNonce(): Buffer {
  if (nonceAt === NONCE_POOL.byteLength) {
    randomFillSync(NONCE_POOL);
    nonceAt = 0;
  }
  const nonce = Buffer.from(NONCE_POOL.subarray(nonceAt, nonceAt + GCM_NONCE_BYTES));
  nonceAt += GCM_NONCE_BYTES;
  return nonce;
}
