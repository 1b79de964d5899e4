import type { ReferenceRow, SearchRow } from "./extractSearchValues.ts";
import { parseReference } from "./parseReference.ts";
import type { SearchFilter, SearchRequest } from "../../ports/SearchRequest.ts";

/**
 * `<ownBase>/Type/id` (or `…/Type/id/_history/n`) as the relative reference it names; any
 * other reference unchanged. An absolute reference under the server's own base points to a
 * resource on this server, so it must index and match like the relative form.
 * @see https://hl7.org/fhir/R4/references.html#literal
 */
export function relativeToOwnBase(ref: string, ownBase: string): string {
  if (ownBase === "" || !ref.startsWith(`${ownBase}/`)) return ref;
  const rest = ref.slice(ownBase.length + 1);
  return parseReference(rest)?.targetType ? rest : ref;
}

/**
 * Search rows with every reference under `ownBase` turned into the local `Type/id` row it
 * stands for. A resource citing the same target both ways keeps one row, as extraction would.
 */
export function localizeReferenceRows(rows: SearchRow[], ownBase: string): SearchRow[] {
  if (ownBase === "" || !rows.some((r) => r.kind === "reference" && r.url !== null && r.url.startsWith(`${ownBase}/`)))
    return rows;
  const seen = new Set<string>();
  const out: SearchRow[] = [];
  for (const row of rows) {
    if (row.kind !== "reference") {
      out.push(row);
      continue;
    }
    const local = localizeRow(row, ownBase);
    const key = `${local.param}\u0000${local.grp}\u0000${local.targetType}\u0000${local.targetId}\u0000${local.url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(local);
  }
  return out;
}

function localizeRow(row: ReferenceRow, ownBase: string): ReferenceRow {
  if (row.url === null) return row;
  const relative = relativeToOwnBase(row.url, ownBase);
  if (relative === row.url) return row;
  const { targetType, targetId } = parseReference(relative)!;
  return { ...row, targetType, targetId, url: null };
}

/**
 * The request with reference values written under `ownBase` made relative, in plain
 * parameters, chains and `_has` alike, so `subject=<ownBase>/Patient/1` finds what
 * `subject=Patient/1` finds. `:identifier` and `:missing` values are not references: kept.
 */
export function localizeSearchRequest(request: SearchRequest, ownBase: string): SearchRequest {
  if (ownBase === "") return request;
  return { ...request, filters: request.filters.map((f) => localizeFilter(f, ownBase)) };
}

function localizeFilter(filter: SearchFilter, ownBase: string): SearchFilter {
  if (filter.kind !== "param") return { ...filter, next: localizeFilter(filter.next, ownBase) };
  if (filter.paramType !== "reference" || filter.modifier !== undefined) return filter;
  return { ...filter, values: filter.values.map((v) => ({ ...v, value: relativeToOwnBase(v.value, ownBase) })) };
}
