import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Unknown resource types are a 404, as for the plain interactions. */
export function assertResourceType(type: string): void {
  if (!isResourceType(type)) throw new FhirLedgerError("not-found", `unknown resource type "${String(type).slice(0, 64)}"`);
}

/** Ids follow R4's id rule. */
export function assertResourceId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", "the id is not a valid FHIR id ([A-Za-z0-9-.]{1,64})");
}

/** Accepts W/"3", "3" and 3 as an If-Match version; anything else is a 400. */
export function parseIfMatch(value: string): number {
  const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,9})"?\s*$/.exec(value);
  if (!m) throw new FhirLedgerError("bad-request", 'If-Match must be a version ETag such as W/"3"');
  return Number(m[1]);
}
