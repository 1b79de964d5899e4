import { merkleLevels } from "./merkleLevels.ts";
import { pathFromLevels } from "./pathFromLevels.ts";

/**
 * RFC 6962 audit paths of every leaf, in leaf order, from one pass over the tree.
 *
 * The anchorer stores a proof per leaf of a batch; computing them one by one would
 * rehash the tree per leaf (O(n^2)), this hashes it once and only looks up siblings.
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1
 */
export function inclusionProofs(leafHashes: readonly Uint8Array[]): Uint8Array[][] {
  const levels = merkleLevels(leafHashes);
  const proofs: Uint8Array[][] = new Array(leafHashes.length);
  for (let index = 0; index < leafHashes.length; index++) proofs[index] = pathFromLevels(levels, index);
  return proofs;
}
