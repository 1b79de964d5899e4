import type { EffectiveGrant } from "./effectiveGrants.ts";

/**
 * Whether a grant names `type` (itself, or `*` without excepting it) and holds `letter`
 * (every letter of it), whatever its confinement or constraint.
 */
export function grantCovers(grant: EffectiveGrant, type: string, letter: string): boolean {
  const named = grant.type === "*" ? grant.except === undefined || !grant.except.includes(type) : grant.type === type;
  return named && [...letter].every((l) => grant.letters.includes(l));
}
