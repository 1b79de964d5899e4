import { merkleLevels } from "./merkleLevels.ts";
import { pathFromLevels } from "./pathFromLevels.ts";

/** RFC 6962 audit path PATH(index, D[n]) of one leaf. @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new RangeError("leaf index out of range");
  }
  return pathFromLevels(merkleLevels(leafHashes), index);
}
