import type { SQLInputValue } from "node:sqlite";
import { toInstant } from "../../../../fhir/search/dateRange.ts";
import type { SearchParamType } from "../../../../ports/SearchRequest.ts";
import type { ParamFilter, SearchFilter, SearchValue } from "../../../../ports/SearchRequest.ts";
import { compositeForPair, isTokenQuantityComposite } from "../../../../fhir/search/tokenQuantityComposites.ts";
import type { SqlFragment } from "./compileSearch.ts";
import {
  countTerms,
  type Ctx,
  type Form,
  invalid,
  nextAlias,
  requireDef,
  rowsCondition,
  type TypeScope,
} from "./conditionParts.ts";
import { policyCondition } from "./policyCondition.ts";
import { dateCondition } from "./rowConditions.ts";
import { type PairFilter, parsePairs } from "./types/composite.ts";
import { type ParamSite, SQL_SEARCH_TYPES, tableOf } from "./types/index.ts";

/*
 * The WHERE conditions of a search, one per filter: plain parameters, chains, _has,
 * composites and token×quantity pairs, each over the sp_* table of its type, for compileSearch
 * to assemble into a query with its order and paging.
 */

export type PlanFilter = SearchFilter | PairFilter;

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
  f: { modifier?: string; targetType?: string; code?: string },
  v: SearchValue,
  now: number,
): SqlFragment {
  const condition = SQL_SEARCH_TYPES[type].rowCondition;
  if (!condition) throw invalid("Unsupported parameter type");
  return condition(x, f, v, now);
}

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
        countTerms(ctx, 1);
        const inner = withPolicy(filterCondition(f.next, t, b, depth + 1, ctx), b, ctx, t);
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
      const inner = withPolicy(filterCondition(f.next, f.type, s, depth + 1, ctx), s, ctx, f.type);
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

/** A chain's or _has's condition on its target `b` of `type`, AND-ed with the caller's access to it. */
function withPolicy(inner: SqlFragment, b: string, ctx: Ctx, type: string): SqlFragment {
  if (ctx.policy === undefined) return inner;
  const p = policyCondition(ctx.policy, b, ctx, type);
  return { sql: `${inner.sql} AND ${p.sql}`, args: [...inner.args, ...p.args] };
}

function paramCondition(f: ParamFilter, type: string, a: string, ctx: Ctx, form: Form, scope: TypeScope): SqlFragment {
  if (f.values.length === 0) throw invalid(`No value for ${f.code}`);
  if (f.values.length > ctx.maxOrValues) throw invalid(`More than ${ctx.maxOrValues} values for one parameter`);
  countTerms(ctx, f.values.length);
  if (f.code === "_id") {
    const sql = `${a}.id ${f.modifier === "not" ? "NOT IN" : "IN"} (${f.values.map(() => "?").join(", ")})`;
    return { sql, args: f.values.map((v) => v.value) };
  }
  if (f.code === "_lastUpdated") {
    const parts = f.values.map((v) => dateCondition(`${a}.last_updated`, `${a}.last_updated`, v, ctx.now, toInstant));
    return { sql: `(${parts.map((p) => p.sql).join(" OR ")})`, args: parts.flatMap((p) => p.args) };
  }
  const def = requireDef(type, f.code);
  const module = SQL_SEARCH_TYPES[def.type];
  if (module.paramCondition) {
    const site: ParamSite = {
      type,
      a,
      ctx,
      form,
      scope,
      tableOf,
      rowCondition: (t, x, v) => valueCondition(t, x, {}, v, ctx.now),
    };
    return module.paramCondition(f, def, site);
  }
  const table = tableOf(def.type);
  const x = nextAlias(ctx, "t");
  if (f.modifier === "missing") {
    // :missing=true with :missing=false in one OR list matches everything
    const wantMissing = f.values.map((v) => v.value === "true");
    if (wantMissing.includes(true) && wantMissing.includes(false)) return { sql: "1 = 1", args: [] };
    return rowsCondition(form, wantMissing[0]!, a, table, x, scope, f.code, undefined);
  }
  const rows = module.rowsOf?.(f);
  const kind = rows?.type ?? def.type;
  const rowTable = rows === undefined ? table : tableOf(rows.type);
  const rowParam = rows?.param ?? f.code;
  const parts = f.values.map((v) => valueCondition(kind, x, f, v, ctx.now));
  const cond = { sql: parts.map((p) => p.sql).join(" OR "), args: parts.flatMap((p) => p.args) };
  return rowsCondition(form, f.modifier === "not", a, rowTable, x, scope, rowParam, cond);
}
