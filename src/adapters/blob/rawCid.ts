import { createHash } from "node:crypto";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

/** CIDv1 (raw codec, sha2-256) of bytes, computed synchronously with node:crypto. */
export function rawCid(bytes: Uint8Array): CID {
  const digest = createHash("sha256").update(bytes).digest();
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, digest));
}
