import { toHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { leafHash } from "../merkle/leafHash.ts";
import { R4_ID_PATTERN as FHIR_ID, RESOURCE_TYPE_NAME_PATTERN as RESOURCE_TYPE } from "../fhir/ids.ts";

/** What one log leaf commits to: a stored version of a resource. */
export interface RecordLeafParameters {
  type: string;
  id: string;
  versionId: string;
  /** CID of the encrypted envelope in IPFS */
  cid: string;
  /** SHA-256 of the canonical plaintext: 32 bytes, or 64 lower-case hex characters */
  contentHash: Uint8Array | string;
}

// Checked because the leaf is hashed: "/" inside an id would let two different
// references print the same "Type/id/_history/vid" string.
const CID = /^[A-Za-z0-9]{1,200}$/; // multibase text (base32/base58btc): no separators
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function invalid(what: string): never {
  throw new FhirLedgerError("invalid", `record leaf: ${what}`);
}

const LEAF_ENCODER = new TextEncoder();

/**
 * The bytes of a record's log leaf: UTF-8 of the canonical JSON
 * {"cid","hash","ref":"Type/id/_history/vid"}; `$verify` hands these out so anyone
 * can recompute the leaf hash.
 */
export function recordLeafData({ type, id, versionId, cid, contentHash }: RecordLeafParameters): Uint8Array {
  if (!RESOURCE_TYPE.test(type)) invalid("resource type is malformed");
  if (!FHIR_ID.test(id)) invalid("id is not a FHIR id");
  if (!FHIR_ID.test(versionId)) invalid("versionId is not a FHIR id");
  if (!CID.test(cid)) invalid("cid is malformed");
  let hash: string;
  if (typeof contentHash === "string") {
    if (!HEX_SHA256.test(contentHash)) invalid("content hash is not 64 lower-case hex characters");
    hash = contentHash;
  } else {
    if (contentHash.byteLength !== 32) invalid("content hash is not 32 bytes");
    hash = toHex(contentHash);
  }
  // canonicalJson({ cid, hash, ref }) written directly (members already in code-point order;
  // asserted in leaf.test.ts): every read recomputes its leaf.
  return LEAF_ENCODER.encode(
    `{"cid":${JSON.stringify(cid)},"hash":${JSON.stringify(hash)},"ref":${JSON.stringify(`${type}/${id}/_history/${versionId}`)}}`,
  );
}

/** RFC 6962 leaf hash of a record's leaf data. */
export function recordLeafHash(parameters: RecordLeafParameters): Uint8Array {
  return leafHash(recordLeafData(parameters));
}
