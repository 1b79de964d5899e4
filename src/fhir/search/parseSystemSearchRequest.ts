import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { parseSearchRequest, type SearchLimits, type SearchQuery } from "./parseSearchRequest.ts";
import { isResourceType, searchableTypes } from "./searchParameters.ts";
import type { SearchRequest } from "../../ports/SearchRequest.ts";

function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: ["_type"] }],
  });
}

/**
 * Parses a system-level search (`GET [base]?…`, `POST [base]/_search`) into a SearchRequest
 * whose `system` names the types it spans: those of `_type` (a comma list, given once), or
 * every type. Over several types only the parameters each of them defines alike apply (without
 * `_type`: the common ones, `_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source`);
 * others are reported in `unknown` as in a type-level search. `_type` with one type is that
 * type's search, with all its parameters. Pure, no I/O; malformed input throws as
 * parseSearchRequest does, and a `_type` naming no R4 resource type is refused (ignoring it
 * would widen the search).
 * @see https://hl7.org/fhir/R4/search.html#searchcontexts
 * @see https://hl7.org/fhir/R4/search.html#_type
 */
export function parseSystemSearchRequest(query: SearchQuery, limits: SearchLimits = {}): SearchRequest {
  const entries = [...query].map(([k, v]) => [String(k), String(v)] as const);
  const typeValues = entries.filter(([k]) => k === "_type").map(([, v]) => v);
  if (typeValues.length > 1) throw invalid("_type may be given once, as a comma-separated list of types");
  const listed = [
    ...new Set(
      (typeValues[0] ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
    ),
  ];
  const unknownType = listed.find((t) => !isResourceType(t));
  if (unknownType !== undefined) throw invalid(`_type names an unknown resource type: ${unknownType.slice(0, 64)}`);
  const types = listed.length > 0 ? listed : "*";
  const spanned = types === "*" ? searchableTypes() : types;
  const rest = entries.filter(([k]) => k !== "_type");
  const request = parseSearchRequest(spanned[0]!, rest, limits, spanned.length > 1 ? { spanning: spanned } : {});
  request.system = { types };
  return request;
}
