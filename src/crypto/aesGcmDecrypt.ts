import { createDecipheriv } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { AES256_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, keyBytes } from "./aesGcmEncrypt.ts";

export interface AesGcmDecryptParameters {
  key: Uint8Array | KeyObject;
  /** nonce || ciphertext || tag, as written by aesGcmEncrypt */
  sealed: Uint8Array;
  aad: Uint8Array;
}

/**
 * Opens nonce || ciphertext || tag; throws a plain Error on any failure.
 * Callers map that to their own single error so no detail of why leaks out.
 */
export function aesGcmDecrypt({ key, sealed, aad }: AesGcmDecryptParameters): Uint8Array {
  if (keyBytes(key) !== AES256_KEY_BYTES) throw new Error("AES-256-GCM needs a 256-bit key");
  if (sealed.byteLength < GCM_NONCE_BYTES + GCM_TAG_BYTES) throw new Error("sealed data truncated");
  const nonce = sealed.subarray(0, GCM_NONCE_BYTES);
  const tagAt = sealed.byteLength - GCM_TAG_BYTES;
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(tagAt));
  const out = new Uint8Array(tagAt - GCM_NONCE_BYTES);
  const body = decipher.update(sealed.subarray(GCM_NONCE_BYTES, tagAt));
  out.set(body, 0);
  try {
    // final() verifies the tag; until it returns, `out` holds unauthenticated bytes.
    out.set(decipher.final(), body.byteLength);
  } catch (error) {
    out.fill(0);
    body.fill(0);
    throw error;
  }
  body.fill(0);
  return out;
}
