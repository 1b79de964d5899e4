import { escapeValue } from "./searchValueSyntax.ts";
import { SEARCH_TYPES } from "./types/index.ts";
import type { IncludeSpec, SearchFilter, SearchRequest, SearchValue } from "../../ports/SearchRequest.ts";

/**
 * The inverse of parseSearchRequest: the query string (without `?`) for a request,
 * used for self and paging links. Unknown parameters are not repeated.
 */
export function formatSearchRequest(request: SearchRequest): string {
  const q = new URLSearchParams();
  if (request.system !== undefined && request.system.types !== "*") q.append("_type", request.system.types.join(","));
  for (const f of request.filters) q.append(filterKey(f), filterValue(f));
  for (const i of request.include) q.append(i.iterate ? "_include:iterate" : "_include", includeValue(i));
  for (const i of request.revinclude) q.append(i.iterate ? "_revinclude:iterate" : "_revinclude", includeValue(i));
  if (request.sort.length > 0) q.append("_sort", request.sort.map((s) => (s.descending ? "-" : "") + s.code).join(","));
  if (request.count !== undefined) q.append("_count", String(request.count));
  if (request.offset !== undefined) q.append("_offset", String(request.offset));
  if (request.cursor !== undefined) q.append("_cursor", request.cursor);
  if (request.total !== undefined) q.append("_total", request.total);
  if (request.summary !== undefined) q.append("_summary", request.summary);
  if (request.elements !== undefined) q.append("_elements", request.elements.join(","));
  return q.toString();
}

function filterKey(f: SearchFilter): string {
  switch (f.kind) {
    case "param":
      return f.code + (f.modifier ? ":" + f.modifier : "") + (f.targetType ? ":" + f.targetType : "");
    case "chain":
      return f.code + (f.explicitType ? ":" + f.explicitType : "") + "." + filterKey(f.next);
    case "has":
      return `_has:${f.type}:${f.refParam}:${filterKey(f.next)}`;
  }
}

function filterValue(f: SearchFilter): string {
  if (f.kind !== "param") return filterValue(f.next);
  return f.values.map((v) => formatValue(f, v)).join(",");
}

function formatValue(f: SearchFilter & { kind: "param" }, v: SearchValue): string {
  return f.modifier === "missing" ? escapeValue(v.value) : SEARCH_TYPES[f.paramType].format(v);
}

function includeValue(i: IncludeSpec): string {
  if (i.sourceType === "*") return "*";
  return `${i.sourceType}:${i.param}${i.targetType ? ":" + i.targetType : ""}`;
}
