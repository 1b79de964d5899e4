import { extractSearchValues } from "../fhir/search/extractSearchValues.ts";
import type { SearchRow } from "../fhir/search/extractSearchValues.ts";
import type { SearchFilter, SearchValue } from "../ports/SearchRequest.ts";

/**
 * Whether a resource matches every one of a granular constraint's filters, read from its
 * content as the index would (extractSearchValues), with the semantics the SQL search gives
 * them: token `system|code`, `code`, `|code`, `system|`; uri equal; reference `Type/id`; `_id`.
 * Anything else never matches (constraintFilters admits no other filter).
 */
export function matchesFilters(
  resource: { resourceType: string; id?: unknown },
  filters: readonly SearchFilter[],
  /** the resource's search rows, when the caller has them already (one extraction for many checks) */
  known?: () => SearchRow[],
): boolean {
  if (filters.length === 0) return true;
  let rows: SearchRow[] | undefined;
  for (const f of filters) {
    if (f.kind !== "param" || f.modifier !== undefined) return false;
    if (f.code === "_id") {
      if (!f.values.some((v) => v.value === resource.id)) return false;
      continue;
    }
    rows ??= known?.() ?? extractSearchValues(resource);
    const own = rows.filter((r) => r.param === f.code);
    if (!f.values.some((v) => own.some((r) => rowMatches(r, v)))) return false;
  }
  return true;
}

function rowMatches(row: SearchRow, v: SearchValue): boolean {
  if (row.kind === "uri") return row.value === v.value;
  // `Type/id` only (the consent core's own requests filter): a bare id matches any type in SQL
  if (row.kind === "reference") return v.value.includes("/") && `${row.targetType}/${row.targetId}` === v.value;
  if (row.kind !== "token") return false;
  if (v.system === undefined) return row.code === v.value;
  if (v.system === "") return row.code === v.value && row.system === null;
  if (v.value === "") return row.system === v.system;
  return row.code === v.value && row.system === v.system;
}
