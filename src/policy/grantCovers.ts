import type { EffectiveGrant } from "./effectiveGrants.ts";

/** Whether a grant names `type` (itself or `*`) and holds `letter`, whatever its confinement or constraint. */
export function grantCovers(grant: EffectiveGrant, type: string, letter: string): boolean {
  return (grant.type === "*" || grant.type === type) && grant.letters.includes(letter);
}
