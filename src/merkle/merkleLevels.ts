import { nodeHash } from "./nodeHash.ts";

export const HASH_BYTES = 32;

/**
 * Every level of the RFC 6962 tree, leaves first, root level last.
 *
 * Pairing left to right and carrying an odd last node up unchanged builds exactly
 * the MTH tree (split at the largest power of two below n) without recursion, and
 * node j of level k then covers leaves [j*2^k, min((j+1)*2^k, n)). Shared by the
 * root and proof functions so a batch is hashed once.
 */
export function merkleLevels(leafHashes: readonly Uint8Array[]): Uint8Array[][] {
  for (const hash of leafHashes) {
    if (hash.byteLength !== HASH_BYTES) throw new RangeError("leaf hashes must be 32 bytes");
  }
  const levels: Uint8Array[][] = [leafHashes.slice()];
  let level = levels[0] as Uint8Array[];
  while (level.length > 1) {
    const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
    for (let i = 0; i + 1 < level.length; i += 2) {
      next[i / 2] = nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array);
    }
    if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1] as Uint8Array;
    levels.push(next);
    level = next;
  }
  return levels;
}
