import type { PolicyExpr } from "../ports/SearchRequest.ts";

/* Building PolicyExpr with constants folded, so a consent that decides statically compiles to little. */

export const TRUE: PolicyExpr = Object.freeze({ kind: "true" });
export const FALSE: PolicyExpr = Object.freeze({ kind: "false" });

/** All of `of` (true when empty). */
export function and(...of: PolicyExpr[]): PolicyExpr {
  const kept: PolicyExpr[] = [];
  for (const x of of) {
    if (x.kind === "false") return FALSE;
    if (x.kind === "true") continue;
    if (x.kind === "and") kept.push(...x.of);
    else kept.push(x);
  }
  if (kept.length === 0) return TRUE;
  return kept.length === 1 ? kept[0]! : { kind: "and", of: kept };
}

/** Any of `of` (false when empty). */
export function or(...of: PolicyExpr[]): PolicyExpr {
  const kept: PolicyExpr[] = [];
  for (const x of of) {
    if (x.kind === "true") return TRUE;
    if (x.kind === "false") continue;
    if (x.kind === "or") kept.push(...x.of);
    else kept.push(x);
  }
  if (kept.length === 0) return FALSE;
  return kept.length === 1 ? kept[0]! : { kind: "or", of: kept };
}

export function not(of: PolicyExpr): PolicyExpr {
  if (of.kind === "true") return FALSE;
  if (of.kind === "false") return TRUE;
  if (of.kind === "not") return of.of;
  return { kind: "not", of };
}

/** The number of nodes: what the expression costs to compile and run. */
export function sizeOf(e: PolicyExpr): number {
  if (e.kind === "and" || e.kind === "or") return 1 + e.of.reduce((n, x) => n + sizeOf(x), 0);
  if (e.kind === "not") return 1 + sizeOf(e.of);
  return 1;
}

/**
 * Whether the expression reads the content (`filter`, `refersTo`) of resources of `types`
 * (undefined: any type), which the index holds for current versions only: history can then
 * apply it only to each version loaded.
 */
export function readsContent(e: PolicyExpr, types?: readonly string[]): boolean {
  if (e.kind === "and" || e.kind === "or") return e.of.some((x) => readsContent(x, types));
  if (e.kind === "not") return readsContent(e.of, types);
  if (e.kind === "filter") return types === undefined || types.includes(e.type);
  return e.kind === "refersTo";
}
