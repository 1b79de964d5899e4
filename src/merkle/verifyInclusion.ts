import { timingSafeEqual } from "node:crypto";
import { HASH_BYTES } from "./merkleLevels.ts";
import { nodeHash } from "./nodeHash.ts";

export interface VerifyInclusionParameters {
  leafHash: Uint8Array;
  index: number;
  treeSize: number;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}

/** A path longer than this cannot belong to any tree of at most 2^64 leaves. */
const MAX_PROOF_LENGTH = 64;

/**
 * Checks an RFC 9162 inclusion proof; any malformed input is simply `false`.
 * Arithmetic uses division rather than bit operators, which would truncate
 * indexes past 2^31 in JavaScript.
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
 */
export function verifyInclusion({ leafHash, index, treeSize, proof, root }: VerifyInclusionParameters): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return false;
  if (index < 0 || index >= treeSize) return false;
  if (leafHash.byteLength !== HASH_BYTES || root.byteLength !== HASH_BYTES) return false;
  if (proof.length > MAX_PROOF_LENGTH) return false;

  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (p.byteLength !== HASH_BYTES) return false;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node was carried up without a sibling.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && timingSafeEqual(r, root);
}
