import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import { aesGcmDecrypt } from "./aesGcmDecrypt.ts";
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, aesGcmEncrypt } from "./aesGcmEncrypt.ts";

/**
 * Encrypted resource envelope, as stored in IPFS:
 *
 *   "FLE1" | keyId length (1 byte) | keyId (UTF-8) | nonce (12) | ciphertext | tag (16)
 *
 * The header names only the opaque data-key id; type, id and version are bound
 * through the AAD instead of being written, so a blob alone says nothing about
 * whose record it is. Seal and open live together because they are one format.
 */

/** What the ciphertext is bound to; none of it is written into the envelope. */
export interface EnvelopeAad {
  type: string;
  id: string;
  versionId: string;
}

export interface SealEnvelopeParameters {
  plaintext: Uint8Array;
  key: DataKey;
  aad: EnvelopeAad;
}

export interface OpenEnvelopeParameters {
  envelope: Uint8Array;
  /** Resolves the data key named in the header (usually KeyStore.dataKey). */
  keyFor: (keyId: string) => Promise<DataKey> | DataKey;
  aad: EnvelopeAad;
}

export const ENVELOPE_MAGIC = new Uint8Array([0x46, 0x4c, 0x45, 0x31]); // "FLE1"

/** The one message of every failure to open, so callers learn nothing about why. */
export const ENVELOPE_OPEN_FAILED = "encrypted record failed its integrity check";

// Opaque ids only (base64url, hex, UUID, ULID, KMS-style "a:b"); this keeps a
// resource reference such as "Patient/123" from ever becoming a header.
const KEY_ID = /^[A-Za-z0-9._~:-]{1,255}$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The additional authenticated data of an envelope (exported for its test). */
export function aadBytes(aad: EnvelopeAad, keyId: string): Uint8Array {
  // The key id is bound too: swapping the header to another key must fail the tag. The
  // canonical JSON (RFC 8785) of four strings is written directly, members in code-point order
  // (equal to canonicalJson of the object; asserted in envelope.test.ts): every read builds it.
  const j = JSON.stringify;
  return encoder.encode(
    `{"id":${j(aad.id)},"keyId":${j(keyId)},"type":${j(aad.type)},"versionId":${j(aad.versionId)}}`,
  );
}

function assertAad(aad: EnvelopeAad): void {
  for (const field of ["type", "id", "versionId"] as const) {
    if (typeof aad[field] !== "string" || aad[field] === "") {
      throw new FhirLedgerError("internal", `envelope AAD needs a non-empty ${field}`);
    }
  }
}

/** Encrypts a record's plaintext under a data key into an "FLE1" envelope. */
export function sealEnvelope({ plaintext, key, aad }: SealEnvelopeParameters): Uint8Array {
  assertAad(aad);
  if (!KEY_ID.test(key.keyId)) throw new FhirLedgerError("internal", "data key id is not an opaque id");
  const keyId = encoder.encode(key.keyId);
  const sealed = aesGcmEncrypt({ key: key.handle ?? key.key, plaintext, aad: aadBytes(aad, key.keyId) });
  const headerLength = ENVELOPE_MAGIC.byteLength + 1 + keyId.byteLength;
  const out = new Uint8Array(headerLength + sealed.byteLength);
  out.set(ENVELOPE_MAGIC, 0);
  out[ENVELOPE_MAGIC.byteLength] = keyId.byteLength;
  out.set(keyId, ENVELOPE_MAGIC.byteLength + 1);
  out.set(sealed, headerLength);
  return out;
}

/** Reads the key id from an envelope header; throws a plain Error when malformed. */
function parseHeader(envelope: Uint8Array): { keyId: string; sealed: Uint8Array } {
  const magicLength = ENVELOPE_MAGIC.byteLength;
  if (envelope.byteLength < magicLength + 1) throw new Error("envelope truncated");
  for (let i = 0; i < magicLength; i++) {
    if (envelope[i] !== ENVELOPE_MAGIC[i]) throw new Error("not an FLE1 envelope");
  }
  const keyIdLength = envelope[magicLength] ?? 0;
  const sealedAt = magicLength + 1 + keyIdLength;
  if (keyIdLength === 0 || envelope.byteLength < sealedAt + GCM_NONCE_BYTES + GCM_TAG_BYTES) {
    throw new Error("envelope truncated");
  }
  const keyId = decoder.decode(envelope.subarray(magicLength + 1, sealedAt));
  if (!KEY_ID.test(keyId)) throw new Error("malformed key id");
  return { keyId, sealed: envelope.subarray(sealedAt) };
}

/**
 * Decrypts an "FLE1" envelope and checks it belongs to type/id/versionId.
 * Every failure (format, unknown or destroyed key, wrong AAD, bad tag) throws
 * FhirLedgerError "integrity" with one fixed message; the reason stays in `cause`.
 */
export async function openEnvelope({ envelope, keyFor, aad }: OpenEnvelopeParameters): Promise<Uint8Array> {
  try {
    assertAad(aad);
    const { keyId, sealed } = parseHeader(envelope);
    const key = await keyFor(keyId);
    if (key.keyId !== keyId) throw new Error("key store returned a different key");
    return aesGcmDecrypt({ key: key.handle ?? key.key, sealed, aad: aadBytes(aad, keyId) });
  } catch (cause) {
    throw new FhirLedgerError("integrity", ENVELOPE_OPEN_FAILED, { cause });
  }
}
