import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { toInstant } from "../../../../fhir/search/dateRange.ts";
import { parseComponentValue } from "../../../../fhir/search/parseComponentValue.ts";
import {
  paramFor,
  searchParameterByUrl,
  type SearchParamDef,
  type SearchParamType,
} from "../../../../fhir/search/searchParameters.ts";
import { splitUnescaped } from "../../../../fhir/search/searchValueSyntax.ts";
import type { ParamFilter, SearchFilter, SearchValue } from "../../../../fhir/search/SearchRequest.ts";
import { compositeForPair, isTokenQuantityComposite } from "../../../../fhir/search/tokenQuantityComposites.ts";
import type { SqlFragment } from "./compileSearch.ts";
import { dateCondition, quantityAlternatives, tokenCondition } from "./rowConditions.ts";
import { SQL_SEARCH_TYPES, tableOf } from "./types/index.ts";

/*
 * The WHERE conditions of a search, one per filter: plain parameters, chains, _has,
 * composites and token×quantity pairs, each over the sp_* table of its type, for compileSearch
 * to assemble into a query with its order and paging.
 */

export function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

/** A token×quantity composite condition with its values parsed: OR-ed [token, quantity] alternatives. */
interface PairFilter {
  kind: "pair";
  def: SearchParamDef;
  values: [SearchValue, SearchValue][];
}
export type PlanFilter = SearchFilter | PairFilter;

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
}

export function requireDef(type: string, code: string): SearchParamDef {
  const def = paramFor(type, code);
  if (!def) throw invalid(`Unknown search parameter ${code} for ${type}`);
  return def;
}

function nextAlias(ctx: Ctx, prefix: string): string {
  ctx.alias++;
  return `${prefix}${ctx.alias}`;
}

/**
 * The filters as compiled: token×quantity composites parsed into pairs, and a plain token
 * parameter AND-ed with a plain quantity parameter rewritten to the composite that holds both
 * (`code=a&value-quantity=b` → `code-value-quantity=a$b`, OR-lists as their cross product) when
 * compositeForPair proves the two equivalent. The pair is one index range of sp_token_quantity;
 * the two conditions were a token list checked one candidate at a time against sp_quantity,
 * which made an exact count linear in the token's matches.
 */
export function planFilters(filters: readonly SearchFilter[], type: string, ctx: Ctx): PlanFilter[] {
  const out: (PlanFilter | undefined)[] = filters.map((f) => {
    if (f.kind !== "param" || f.paramType !== "composite") return f;
    const def = requireDef(type, f.code);
    return isTokenQuantityComposite(def) ? { kind: "pair", def, values: parsePairs(def, f, ctx) } : f;
  });
  for (const [i, token] of out.entries()) {
    // Composite token components keep coded tokens only, so `system|` (any code, or none) stays as it is.
    if (!isPlain(token, "token") || token.values.some((v) => v.value === "")) continue;
    const j = out.findIndex((q) => isPlain(q, "quantity") && compositeForPair(type, token.code, q.code) !== undefined);
    if (j < 0) continue;
    const quantity = out[j] as ParamFilter;
    if (token.values.length * quantity.values.length > ctx.maxOrValues) continue;
    const def = compositeForPair(type, token.code, quantity.code)!;
    out[i] = {
      kind: "pair",
      def,
      values: token.values.flatMap((t) => quantity.values.map((q): [SearchValue, SearchValue] => [t, q])),
    };
    out[j] = undefined;
  }
  return out.filter((f) => f !== undefined);
}

function isPlain(f: PlanFilter | undefined, paramType: "token" | "quantity"): f is ParamFilter {
  return (
    f?.kind === "param" &&
    f.paramType === paramType &&
    f.modifier === undefined &&
    f.targetType === undefined &&
    f.values.length > 0
  );
}

function parsePairs(def: SearchParamDef, f: ParamFilter, ctx: Ctx): [SearchValue, SearchValue][] {
  if (f.values.length === 0) throw invalid(`No value for ${f.code}`);
  if (f.values.length > ctx.maxOrValues) throw invalid(`More than ${ctx.maxOrValues} values for one parameter`);
  return f.values.map((v) => {
    const pieces = splitUnescaped(v.value, "$");
    if (pieces.length !== 2) throw invalid(`${f.code} needs ${def.component.length} values separated by $`);
    return [parseComponentValue("token", pieces[0]!), parseComponentValue("quantity", pieces[1]!)];
  });
}

/** How likely a filter is to match few rows (0: not usable as a driver). */
export function selectivity(f: PlanFilter): number {
  // a token and a quantity range on one row: more selective than the token alone
  if (f.kind === "pair") return f.values.every(([t]) => t.system !== undefined && t.value !== "") ? 4.5 : 3.5;
  if (f.kind !== "param") return 1;
  if (f.modifier === "missing" || f.modifier === "not" || f.modifier === "contains" || f.code === "_lastUpdated")
    return 0;
  if (f.code === "_id") return 6;
  return SQL_SEARCH_TYPES[f.paramType].selectivity(f);
}

/** A condition on one index row (alias `x`) of a `type` parameter for one OR-value. */
function valueCondition(
  type: SearchParamType,
  x: string,
  f: { modifier?: string; targetType?: string },
  v: SearchValue,
  now: number,
): SqlFragment {
  const condition = SQL_SEARCH_TYPES[type].rowCondition;
  if (!condition) throw invalid("Unsupported parameter type");
  return condition(x, f, v, now);
}

export type Form = "in" | "exists";

/** A condition on resource alias `a` (of type `type`). */
export function filterCondition(
  f: SearchFilter,
  type: string,
  a: string,
  depth: number,
  ctx: Ctx,
  form: Form = "in",
  scope: TypeScope = type,
): SqlFragment {
  if (f.kind !== "param" && scope !== type) throw invalid("chains and _has need a single type");
  if (depth > ctx.maxChainDepth) throw invalid(`Chains and _has may be at most ${ctx.maxChainDepth} deep`);
  switch (f.kind) {
    case "chain": {
      const def = requireDef(type, f.code);
      if (def.type !== "reference") throw invalid(`${f.code} is not a reference parameter`);
      if (f.targetTypes.length === 0) throw invalid(`No target type for chain ${f.code}`);
      const x = nextAlias(ctx, "x");
      const b = nextAlias(ctx, "b");
      // Every target type gets its own condition: definitions of the chained parameter may differ by type.
      const parts: string[] = [];
      const args: SQLInputValue[] = [type, f.code];
      for (const t of f.targetTypes) {
        const inner = filterCondition(f.next, t, b, depth + 1, ctx);
        // As at the top: a rid IN-list is walked by rowid, not the whole target type scanned.
        parts.push(`(${inner.sql.startsWith(`${b}.rid IN (`) ? "+" : ""}${b}.type = ? AND ${inner.sql})`);
        args.push(t, ...inner.args);
      }
      return {
        sql:
          `${a}.rid IN (SELECT ${x}.rid FROM sp_reference ${x} WHERE ${x}.type = ? AND ${x}.param = ? AND ` +
          `(${x}.target_type, ${x}.target_id) IN (SELECT ${b}.type, ${b}.id FROM resources ${b} WHERE ${b}.deleted = 0 AND (${parts.join(" OR ")})))`,
        args,
      };
    }
    case "has": {
      const def = requireDef(f.type, f.refParam);
      if (def.type !== "reference") throw invalid(`${f.refParam} is not a reference parameter`);
      const x = nextAlias(ctx, "x");
      const s = nextAlias(ctx, "h");
      const inner = filterCondition(f.next, f.type, s, depth + 1, ctx);
      return {
        sql:
          `${a}.id IN (SELECT ${x}.target_id FROM sp_reference ${x} JOIN resources ${s} ON ${s}.rid = ${x}.rid ` +
          `WHERE ${x}.type = ? AND ${x}.param = ? AND ${x}.target_type = ? AND ${s}.deleted = 0 AND ${inner.sql})`,
        args: [f.type, f.refParam, type, ...inner.args],
      };
    }
    case "param":
      return paramCondition(f, type, a, ctx, form, scope);
  }
}

/** `a.rid [NOT] IN (rows)` or `[NOT] EXISTS (rows of a.rid)` over one index table. */
function rowsCondition(
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

function paramCondition(f: ParamFilter, type: string, a: string, ctx: Ctx, form: Form, scope: TypeScope): SqlFragment {
  if (f.values.length === 0) throw invalid(`No value for ${f.code}`);
  if (f.values.length > ctx.maxOrValues) throw invalid(`More than ${ctx.maxOrValues} values for one parameter`);
  if (f.code === "_id") {
    const sql = `${a}.id ${f.modifier === "not" ? "NOT IN" : "IN"} (${f.values.map(() => "?").join(", ")})`;
    return { sql, args: f.values.map((v) => v.value) };
  }
  if (f.code === "_lastUpdated") {
    const parts = f.values.map((v) => dateCondition(`${a}.last_updated`, `${a}.last_updated`, v, ctx.now, toInstant));
    return { sql: `(${parts.map((p) => p.sql).join(" OR ")})`, args: parts.flatMap((p) => p.args) };
  }
  const def = requireDef(type, f.code);
  if (def.type === "composite") {
    if (typeof scope !== "string") throw invalid("composite parameters need a single type");
    if (isTokenQuantityComposite(def))
      return pairCondition({ kind: "pair", def, values: parsePairs(def, f, ctx) }, type, a, ctx, form);
    return compositeCondition(def, f, type, a, ctx);
  }
  if (def.type === "special") throw invalid(`${f.code} is not supported`);
  const table = tableOf(def.type);
  const x = nextAlias(ctx, "t");
  if (f.modifier === "missing") {
    // :missing=true with :missing=false in one OR list matches everything
    const wantMissing = f.values.map((v) => v.value === "true");
    if (wantMissing.includes(true) && wantMissing.includes(false)) return { sql: "1 = 1", args: [] };
    return rowsCondition(form, wantMissing[0]!, a, table, x, scope, f.code, undefined);
  }
  let rowTable = table;
  let rowParam = f.code;
  let kind: SearchParamType = def.type;
  if (def.type === "reference" && f.modifier === "identifier") {
    rowTable = "sp_token";
    rowParam = `${f.code}:identifier`;
    kind = "token";
  }
  const parts = f.values.map((v) => valueCondition(kind, x, f, v, ctx.now));
  const cond = { sql: parts.map((p) => p.sql).join(" OR "), args: parts.flatMap((p) => p.args) };
  return rowsCondition(form, f.modifier === "not", a, rowTable, x, scope, rowParam, cond);
}

/** A token×quantity composite: rows of sp_token_quantity whose token and quantity both match one alternative. */
export function pairCondition(f: PairFilter, type: string, a: string, ctx: Ctx, form: Form): SqlFragment {
  const x = nextAlias(ctx, "p");
  return rowsCondition(form, false, a, "sp_token_quantity", x, type, f.def.code, pairRowCondition(f, x, ctx));
}

/**
 * (token AND quantity) per alternative, a UCUM quantity's two alternatives included: each
 * branch of the OR is one range of an index on (token_code, token_system, …).
 */
function pairRowCondition(f: PairFilter, x: string, _ctx: Ctx): SqlFragment {
  const parts = f.values.flatMap(([t, q]) => {
    const tc = tokenCondition(`${x}.token_system`, `${x}.token_code`, t);
    return quantityAlternatives(x, q).map((qc) => ({
      sql: `(${tc.sql} AND ${qc.sql})`,
      args: [...tc.args, ...qc.args],
    }));
  });
  return { sql: parts.map((p) => p.sql).join(" OR "), args: parts.flatMap((p) => p.args) };
}

/**
 * The count of a search whose one condition is a token×quantity pair, from the pair index
 * alone: sp_token_quantity holds rows of live resources of the row's type only (enforced by
 * triggers, see searchSchema), so `resources r WHERE r.type = ? AND r.deleted = 0` would keep
 * every rid found. Not with a policy condition, which is on `r`.
 */
export function pairCount(f: PairFilter, type: string, ctx: Ctx): SqlFragment {
  const x = nextAlias(ctx, "p");
  const c = pairRowCondition(f, x, ctx);
  return {
    sql: `SELECT count(DISTINCT ${x}.rid) AS total FROM sp_token_quantity ${x} WHERE ${x}.type = ? AND ${x}.param = ? AND (${c.sql})`,
    args: [type, f.def.code, ...c.args],
  };
}

function compositeCondition(def: SearchParamDef, f: ParamFilter, type: string, a: string, ctx: Ctx): SqlFragment {
  const components = def.component.map((c) => searchParameterByUrl(c.definition)?.type as SearchParamType | undefined);
  if (components.length === 0 || components.some((t) => !t || t === "composite" || t === "special")) {
    throw invalid(`${f.code} is not supported`);
  }
  const alternatives: SqlFragment[] = f.values.map((v) => {
    const pieces = splitUnescaped(v.value, "$");
    if (pieces.length !== components.length)
      throw invalid(`${f.code} needs ${components.length} values separated by $`);
    const aliases = components.map(() => nextAlias(ctx, "c"));
    const from: string[] = [];
    const conds: string[] = [];
    const args: SQLInputValue[] = [];
    const joinArgs: SQLInputValue[] = [];
    components.forEach((t, i) => {
      const table = tableOf(t!);
      const x = aliases[i]!;
      if (i === 0) from.push(`${table} ${x}`);
      else {
        from.push(
          `JOIN ${table} ${x} ON ${x}.rid = ${aliases[0]}.rid AND ${x}.grp = ${aliases[0]}.grp AND ${x}.param = ?`,
        );
        joinArgs.push(`${f.code}$${i}`);
      }
      const c = valueCondition(t!, x, {}, parseComponentValue(t!, pieces[i]!), ctx.now);
      conds.push(c.sql);
      args.push(...c.args);
    });
    const c0 = aliases[0]!;
    return {
      sql: `${a}.rid IN (SELECT ${c0}.rid FROM ${from.join(" ")} WHERE ${c0}.type = ? AND ${c0}.param = ? AND ${conds.join(" AND ")})`,
      args: [...joinArgs, type, `${f.code}$0`, ...args],
    };
  });
  return { sql: `(${alternatives.map((p) => p.sql).join(" OR ")})`, args: alternatives.flatMap((p) => p.args) };
}
