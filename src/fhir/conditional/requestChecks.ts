import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import { ID_PATTERN, INVALID_ID_MESSAGE } from "../ids.ts";

/** Unknown resource types are a 404, as for the plain interactions. */
export function assertResourceType(type: string): void {
  if (!isResourceType(type))
    throw new FhirLedgerError("not-found", `unknown resource type "${String(type).slice(0, 64)}"`);
}

/** Ids follow R4's id rule. */
export function assertResourceId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", INVALID_ID_MESSAGE);
}

/**
 * Accepts W/"3", "3" and 3 as an If-Match version, and `*` (any current version: the resource
 * must exist and not be deleted); anything else is a 400.
 * @see https://www.rfc-editor.org/rfc/rfc7232#section-3.1
 */
export function parseIfMatch(value: string): number | "*" {
  if (value.trim() === "*") return "*";
  const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,9})"?\s*$/.exec(value);
  if (!m) throw new FhirLedgerError("bad-request", 'If-Match must be a version ETag such as W/"3", or *');
  return Number(m[1]);
}

/**
 * The versions an If-None-Match names (`W/"3"`, `"3"`, lists of them; compared weakly), or `*`
 * (any current version). Tags that are not version ETags of this server name nothing: they
 * can never match.
 * @see https://www.rfc-editor.org/rfc/rfc7232#section-3.2
 */
export function parseIfNoneMatch(value: string): number[] | "*" {
  const versions: number[] = [];
  for (const tag of value.slice(0, 1024).split(",")) {
    const t = tag.trim();
    if (t === "*") return "*";
    const m = /^(?:W\/)?"([0-9]{1,10})"$/.exec(t);
    if (m) versions.push(Number(m[1]));
  }
  return versions;
}
