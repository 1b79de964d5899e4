/** Sibling of the node on each level, leaf to root; a carried node has none on its level. */
export function pathFromLevels(levels: readonly Uint8Array[][], index: number): Uint8Array[] {
  const path: Uint8Array[] = [];
  let node = index;
  for (let k = 0; k < levels.length - 1; k++) {
    const level = levels[k] as Uint8Array[];
    const sibling = node % 2 === 0 ? node + 1 : node - 1;
    if (sibling < level.length) path.push(level[sibling] as Uint8Array);
    node = Math.floor(node / 2);
  }
  return path;
}
