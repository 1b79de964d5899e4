import type { SearchParamDef } from "./searchParameters.ts";
import { SEARCH_TYPES } from "./types/index.ts";

/**
 * Whether a search by this parameter is answered: its type is one this server searches, and its
 * values are indexed (an expression for the resource type) or read from the resources table
 * (`_id`, `_lastUpdated`). Only such parameters are declared in the CapabilityStatement; any
 * other is reported as unsupported (or refused under `Prefer: handling=strict`), never applied
 * silently as no filter at all. Not answered in R4's definitions: `near` (special) and
 * InsurancePlan's `name`, whose official expression (`name | alias`) names no resource type.
 */
export function isSearchable(def: SearchParamDef): boolean {
  return (
    SEARCH_TYPES[def.type].searchable &&
    (def.expression !== undefined || def.code === "_id" || def.code === "_lastUpdated")
  );
}
