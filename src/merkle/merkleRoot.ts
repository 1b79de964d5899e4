import { sha256 } from "../crypto/sha256.ts";
import { merkleLevels } from "./merkleLevels.ts";

/** RFC 6962 Merkle Tree Hash of leaf hashes; the empty tree is SHA-256(""). @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0));
  const levels = merkleLevels(leafHashes);
  return (levels[levels.length - 1] as Uint8Array[])[0] as Uint8Array;
}
