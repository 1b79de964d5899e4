import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { paramFor, type SearchParamDef } from "../../../../fhir/search/searchParameters.ts";
import type { SearchPolicy } from "../../../../ports/SearchRequest.ts";
import type { SqlFragment } from "./compileSearch.ts";

/* What every condition of a search is built with: the compile context, aliases, type scopes and row sets. */

export function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

/**
 * The types whose index rows a condition reads: one (`x.type = ?`, all a type-level search
 * ever binds) or the several a system-level search spans (`x.type IN (…)`: the value indexes
 * lead with the type, so each type spanned is one index range).
 */
export type TypeScope = string | readonly string[];

export function typeIs(column: string, scope: TypeScope): SqlFragment {
  if (typeof scope === "string") return { sql: `${column} = ?`, args: [scope] };
  return { sql: `${column} IN (${scope.map(() => "?").join(", ")})`, args: [...scope] };
}

export interface Ctx {
  now: number;
  maxChainDepth: number;
  maxOrValues: number;
  alias: number;
  /** SQL terms compiled so far: subqueries, OR alternatives and chain branches (see countTerms) */
  terms: number;
  maxTerms: number;
  /** The caller's access: AND-ed into chain and _has targets too (see policyCondition). */
  policy?: SearchPolicy;
}

/**
 * Counts `n` more terms of the query being compiled, and refuses it once they pass the
 * limit: before the SQL is built in full, and before SQLite runs (or refuses) it. Chains fan out
 * per target type and level, so a short query string can compile to thousands of subqueries
 * (`composed-of.derived-from.performer._id` with 100 values: 968 per value, 98,169 variables).
 */
export function countTerms(ctx: Ctx, n: number): void {
  ctx.terms += n;
  if (ctx.terms > ctx.maxTerms) throw tooCostly(ctx.maxTerms);
}

function tooCostly(maxTerms: number): FhirLedgerError {
  const message = `The search compiles to more than ${maxTerms} SQL terms (FHIRLEDGER_MAX_SEARCH_TERMS); use fewer OR values or parameters, or name the target type of a chain (subject:Patient.name)`;
  return new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
}

export function requireDef(type: string, code: string): SearchParamDef {
  const def = paramFor(type, code);
  if (!def) throw invalid(`Unknown search parameter ${code} for ${type}`);
  return def;
}

export function nextAlias(ctx: Ctx, prefix: string): string {
  countTerms(ctx, 1); // every alias is a subquery or a join
  ctx.alias++;
  return `${prefix}${ctx.alias}`;
}

export type Form = "in" | "exists";

/** `a.rid [NOT] IN (rows)` or `[NOT] EXISTS (rows of a.rid)` over one index table. */
export function rowsCondition(
  form: Form,
  negate: boolean,
  a: string,
  table: string,
  x: string,
  type: TypeScope,
  param: string,
  cond: SqlFragment | undefined,
): SqlFragment {
  const extra = cond ? ` AND (${cond.sql})` : "";
  const extraArgs = cond ? cond.args : [];
  if (form === "exists") {
    return {
      sql: `${negate ? "NOT " : ""}EXISTS (SELECT 1 FROM ${table} ${x} WHERE ${x}.rid = ${a}.rid AND ${x}.param = ?${extra})`,
      args: [param, ...extraArgs],
    };
  }
  const t = typeIs(`${x}.type`, type);
  return {
    sql: `${a}.rid ${negate ? "NOT IN" : "IN"} (SELECT ${x}.rid FROM ${table} ${x} WHERE ${t.sql} AND ${x}.param = ?${extra})`,
    args: [...t.args, param, ...extraArgs],
  };
}
