import type { SQLInputValue } from "node:sqlite";
import { paramFor } from "../../../../fhir/search/searchParameters.ts";
import type { PolicyExpr, SearchFilter } from "../../../../ports/SearchRequest.ts";
import type { SqlFragment } from "./compileSearch.ts";
import type { Ctx } from "./conditionParts.ts";
import { filterCondition } from "./filterConditions.ts";

export interface GateSite {
  /** the resource alias (`r`, `i`, ...): its type, id, rid */
  a: string;
  /** the column holding the row's compartment (default `<a>.compartment`; history: the version's) */
  compartment?: string;
  /**
   * false where the row's search rows are not those of its content (a past version in
   * history): `filter` and `refersTo` are then read as whatever keeps more rows (true where
   * the condition wants them, false under a `not`), and the caller checks each row itself.
   */
  content?: boolean;
}

/**
 * A PolicyExpr (the caller's consent) as a condition on one row, with the meaning
 * evaluatePolicyExpr gives it in memory. Its terms are the server's, not the client's: they
 * do not count against the search's term and OR-value limits (the consent parser caps them).
 * Filter atoms of one parameter definition over several types become one condition with a
 * type list (a `_security` label over every compartment type is one EXISTS, not 67).
 */
export function gateCondition(expr: PolicyExpr, site: GateSite, ctx: Ctx): SqlFragment {
  const saved = { terms: ctx.terms, maxTerms: ctx.maxTerms, maxOrValues: ctx.maxOrValues };
  ctx.maxTerms = Number.POSITIVE_INFINITY;
  ctx.maxOrValues = Number.POSITIVE_INFINITY;
  try {
    return compile(expr, site, ctx, true);
  } finally {
    ctx.terms = saved.terms;
    ctx.maxTerms = saved.maxTerms;
    ctx.maxOrValues = saved.maxOrValues;
  }
}

const TRUE: SqlFragment = { sql: "1 = 1", args: [] };
const FALSE: SqlFragment = { sql: "0 = 1", args: [] };

function compile(e: PolicyExpr, site: GateSite, ctx: Ctx, positive: boolean): SqlFragment {
  const a = site.a;
  switch (e.kind) {
    case "true":
      return TRUE;
    case "false":
      return FALSE;
    case "not": {
      const inner = compile(e.of, site, ctx, !positive);
      return { sql: `NOT (${inner.sql})`, args: inner.args };
    }
    case "and":
    case "or": {
      if (e.of.length === 0) return e.kind === "and" ? TRUE : FALSE;
      const parts =
        e.kind === "or" ? groupFilters(e.of, site, ctx, positive) : e.of.map((x) => compile(x, site, ctx, positive));
      return join(parts, e.kind === "and" ? " AND " : " OR ");
    }
    case "noCompartment":
      return { sql: `${site.compartment ?? `${a}.compartment`} IS NULL`, args: [] };
    case "compartmentIn": {
      // NULL-safe, so a NOT around it keeps rows of no compartment (as in memory)
      const column = site.compartment ?? `${a}.compartment`;
      const c = inList(column, e.compartments);
      return c === FALSE ? c : { sql: `(${column} IS NOT NULL AND ${c.sql})`, args: c.args };
    }
    case "typeIn":
      return inList(`${a}.type`, e.types);
    case "idIn":
      return inList(`(${a}.type || '/' || ${a}.id)`, e.refs);
    case "refersTo":
      if (site.content === false) return positive ? TRUE : FALSE;
      return {
        sql: `EXISTS (SELECT 1 FROM sp_reference g WHERE g.rid = ${a}.rid AND g.grp = 0 AND (g.target_type || '/' || g.target_id) IN (SELECT value FROM json_each(?)))`,
        args: [JSON.stringify(e.refs)],
      };
    case "filter":
      // without content, still exact on the type: rows of other types never match it
      if (site.content === false) return positive ? inList(`${a}.type`, [e.type]) : FALSE;
      return filterOn([e.type], e.filter, site, ctx);
  }
}

/** The alternatives of an OR, filter atoms alike but for their type merged into one. */
function groupFilters(of: readonly PolicyExpr[], site: GateSite, ctx: Ctx, positive: boolean): SqlFragment[] {
  const out: SqlFragment[] = [];
  const groups = new Map<string, { types: string[]; filter: SearchFilter }>();
  for (const x of of) {
    if (x.kind !== "filter" || x.filter.kind !== "param" || site.content === false) {
      out.push(compile(x, site, ctx, positive));
      continue;
    }
    const url = paramFor(x.type, x.filter.code)?.url;
    if (url === undefined) continue; // a parameter the type does not define matches no row of it
    const key = `${url}\u0000${JSON.stringify(x.filter)}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { types: [x.type], filter: x.filter });
    else g.types.push(x.type);
  }
  for (const g of groups.values()) out.push(filterOn(g.types, g.filter, site, ctx));
  return out;
}

function filterOn(types: readonly string[], filter: SearchFilter, site: GateSite, ctx: Ctx): SqlFragment {
  if (filter.kind === "param" && paramFor(types[0]!, filter.code) === undefined) return FALSE;
  const c = filterCondition(filter, types[0]!, site.a, 0, ctx, "exists");
  const t = inList(`${site.a}.type`, types);
  return { sql: `(${t.sql} AND ${c.sql})`, args: [...t.args, ...c.args] };
}

function inList(column: string, values: readonly string[]): SqlFragment {
  if (values.length === 0) return FALSE;
  if (values.length === 1) return { sql: `${column} = ?`, args: [values[0]!] };
  return { sql: `${column} IN (SELECT value FROM json_each(?))`, args: [JSON.stringify(values)] };
}

function join(parts: readonly SqlFragment[], op: string): SqlFragment {
  if (parts.length === 0) return op === " AND " ? TRUE : FALSE;
  const args: SQLInputValue[] = [];
  for (const p of parts) args.push(...p.args);
  return { sql: `(${parts.map((p) => p.sql).join(op)})`, args };
}
