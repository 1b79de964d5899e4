import { parseSearchRequest } from "../fhir/search/parseSearchRequest.ts";
import type { SearchFilter } from "../ports/SearchRequest.ts";

/**
 * A granular scope's constraint (`category=…|laboratory&status=final`) as search filters on
 * `type`, or undefined when this server would not check it alike in a query and on one
 * resource: only token, uri and `_id` parameters without modifiers (what granular scopes use:
 * category, code, clinical-status, type). An undefined constraint grants nothing, never more.
 * @see https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html#finer-grained-resource-constraints-using-search-parameters
 */
export function constraintFilters(
  type: string,
  constraint: readonly (readonly [string, string])[],
): readonly SearchFilter[] | undefined {
  if (type === "*") return undefined;
  let request: ReturnType<typeof parseSearchRequest>;
  try {
    request = parseSearchRequest(type, constraint);
  } catch {
    return undefined;
  }
  const result = constraint.length === request.filters.length ? request.filters : undefined;
  if (result === undefined || request.unknown.length > 0) return undefined;
  if (request.include.length + request.revinclude.length + request.sort.length > 0) return undefined;
  const checkable = result.every(
    (f) =>
      f.kind === "param" &&
      f.modifier === undefined &&
      f.targetType === undefined &&
      (f.code === "_id" || f.paramType === "token" || f.paramType === "uri"),
  );
  return checkable ? Object.freeze(result) : undefined;
}
