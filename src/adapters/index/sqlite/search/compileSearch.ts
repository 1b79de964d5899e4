import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { searchableTypes } from "../../../../fhir/search/searchParameters.ts";
import type { SearchRequest } from "../../../../ports/SearchRequest.ts";
import { type Ctx, type Form, invalid, requireDef, type TypeScope, typeIs } from "./conditionParts.ts";
import { filterCondition, type PlanFilter, planFilters, selectivity } from "./filterConditions.ts";
import { policyCondition } from "./policyCondition.ts";
import { pairCondition, pairCount } from "./types/composite.ts";
import { SQL_SEARCH_TYPES, tableOf } from "./types/index.ts";
import { decodeCursor, encodeChangedCursor, encodeCursor, keysetCondition } from "./searchCursor.ts";

export interface SqlFragment {
  sql: string;
  args: SQLInputValue[];
}

export interface CompileSearchOptions {
  /** resource type searched (defaults to request.type) */
  type?: string;
  /** extra condition on `r` (policy: compartments the caller may see), AND-ed into the WHERE clause */
  where?: SqlFragment;
  /** page size when `_count` is absent (default 20) */
  defaultCount?: number;
  /** largest page size (default 1000) */
  maxCount?: number;
  /** reference hops in chains/_has (default 3) */
  maxChainDepth?: number;
  /** OR values per parameter (default 100) */
  maxOrValues?: number;
  /** SQL terms the search may compile to: subqueries, OR alternatives, chain branches (default 1000) */
  maxTerms?: number;
  /** epoch ms used by the `ap` prefix (default Date.now()) */
  now?: number;
}

export interface CompiledSearch {
  /** selects `rid` (and sort keys k0…) of up to `limit + 1` matches, in result order; an extra row means there is a next page */
  sql: string;
  args: SQLInputValue[];
  /** selects `total`, the number of matches (for `_total=accurate` and `_summary=count`) */
  countSql: string;
  countArgs: SQLInputValue[];
  limit: number;
  offset: number;
  /**
   * The `_cursor` continuing after a row returned by `sql` (keyset paging, stable while data
   * changes). `watermark`: on a first page of a `walk`, the highest commit seq read before it.
   */
  nextCursor: (row: Record<string, unknown>, watermark?: number) => string;
  /**
   * Set on a page of the `sorted` phase under a sort on values that change on update (see
   * SearchCursor). `watermark`: the cursor's; undefined on a first page (or a cursor from before
   * watermarks), whose reader takes the highest commit seq before reading the page. When the
   * sorted rows run out, `changedSince` selects `rid` and `seq` of the resources that match and
   * changed after a seq, in seq order: the walk goes on with them.
   */
  walk?: { watermark: number | undefined; changedSince: (seq: number, limit: number) => SqlFragment };
}
/** Default of CompileSearchOptions.maxTerms: far above any search of the test suites and Synthea imports. */
export const DEFAULT_MAX_TERMS = 1000;
/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER: a statement binding more fails to prepare. */
const SQLITE_MAX_VARIABLES = 32_766;

function tooManyVariables(): FhirLedgerError {
  const message = `The search binds more than ${SQLITE_MAX_VARIABLES} values, the most SQLite takes in one query; use fewer OR values or parameters`;
  return new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
}

/**
 * Compiles a parsed search into parameterised SQL over `resources r` and the sp_* tables.
 * Every user value is a bound argument; identifiers in the SQL come from the official
 * definitions only.
 * @see https://hl7.org/fhir/R4/search.html
 */
export function compileSearch(request: SearchRequest, options: CompileSearchOptions = {}): CompiledSearch {
  const type = options.type ?? request.type;
  // A system-level search reads the rows of every type it spans (`type` stands for them in
  // definition lookups: the parser took only parameters they all define alike).
  const spanned =
    request.system === undefined ? undefined : request.system.types === "*" ? searchableTypes() : request.system.types;
  const scope: TypeScope = spanned === undefined || spanned.length === 1 ? (spanned?.[0] ?? type) : spanned;
  const ctx: Ctx = {
    now: options.now ?? Date.now(),
    maxChainDepth: options.maxChainDepth ?? 3,
    maxOrValues: options.maxOrValues ?? 100,
    alias: 0,
    terms: 0,
    maxTerms: options.maxTerms ?? DEFAULT_MAX_TERMS,
    ...(request.policy === undefined ? {} : { policy: request.policy }),
  };
  // Rule-based plan: the most selective condition drives the query as an IN-list over its
  // index; the other plain conditions become correlated EXISTS checks per candidate instead of
  // materialising large lists. Chains and _has stay IN-lists (they carry their own joins).
  // Token×quantity pairs are per type (compositeForPair): only for a search of one type.
  const filters: PlanFilter[] = typeof scope === "string" ? planFilters(request.filters, type, ctx) : request.filters;
  const ranks = filters.map(selectivity);
  const best = ranks.indexOf(Math.max(0, ...ranks));
  const driver = ranks[best]! > 0 ? filters[best] : undefined;
  // When a rid IN-list drives, `+r.type` keeps SQLite from scanning every resource of the type
  // through resources_type_updated and testing each against the list (linear in the data: a
  // patient's Observations took 4x longer at 4x the data); it walks the list by rowid instead.
  // _id drives through the (type, id) index, which needs the plain column.
  const drivesById = driver?.kind === "param" && driver.code === "_id";
  const drivesByRid = driver !== undefined && !drivesById;
  // Every row of `resources` has a type a search can span: a search of every type puts no
  // condition on r.type, except to let _id drive through the (type, id) index.
  const resourceTypes = request.system?.types === "*" ? (drivesById ? scope : undefined) : scope;
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (resourceTypes !== undefined) {
    const t = typeIs(drivesByRid ? "+r.type" : "r.type", resourceTypes);
    where.push(t.sql);
    args.push(...t.args);
  }
  where.push("r.deleted = 0");
  for (const [i, f] of filters.entries()) {
    const form: Form = ranks[best]! > 0 && i !== best && (f.kind === "param" || f.kind === "pair") ? "exists" : "in";
    const c =
      f.kind === "pair" ? pairCondition(f, type, "r", ctx, form) : filterCondition(f, type, "r", 0, ctx, form, scope);
    where.push(c.sql);
    args.push(...c.args);
  }
  if (options.where) {
    where.push(`(${options.where.sql})`);
    args.push(...options.where.args);
  }
  if (request.policy !== undefined) {
    const p = policyCondition(request.policy, "r", ctx, typeof scope === "string" ? scope : undefined);
    where.push(p.sql);
    args.push(...p.args);
  }
  // the conditions are bound again by the count and by the walk's `changedSince`
  if (args.length > SQLITE_MAX_VARIABLES - 64) throw tooManyVariables();
  const only = filters.length === 1 ? filters[0]! : undefined;
  const indexCount =
    only?.kind === "pair" && !options.where && !request.policy ? pairCount(only, type, ctx) : undefined;
  const countSql = indexCount?.sql ?? `SELECT count(*) AS total FROM resources r WHERE ${where.join(" AND ")}`;
  const countArgs = indexCount ? indexCount.args : [...args];

  const keys = request.sort.map((key) => ({
    ...sortExpression(type, key.code, key.descending),
    descending: key.descending,
  }));
  const select = ["r.rid", ...keys.map((k, i) => `${k.sql} AS k${i}`)];
  const selectArgs = keys.flatMap((k) => k.args);
  const maxCount = options.maxCount ?? 1000;
  const limit = Math.max(0, Math.min(request.count ?? options.defaultCount ?? 20, maxCount));
  const offset = request.offset ?? 0;
  const sortCount = keys.length;
  // A resource's rid and id never change: only a sort on another key needs the two phases.
  const mutable = request.sort.some((key) => key.code !== "_id");
  const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor, sortCount, mutable);
  const matching = { sql: where.join(" AND "), args: [...args] };
  // Phase `changed`: the matches whose current version was committed after `seq`. CROSS JOIN
  // keeps `versions` the outer loop: read in order from its unique leaf_seq index, it stops after
  // the page, costing the versions written since (or the driving list's rids, looked up by
  // primary key); left to itself SQLite walked every resource of the type and sorted them
  // (17 ms instead of 0.02 for 98k Observations, whatever the page).
  const changedSince = (seq: number, n: number, skip = 0): SqlFragment => ({
    sql: `SELECT r.rid, v.leaf_seq AS seq FROM versions v CROSS JOIN resources r ON r.rid = v.rid AND r.version = v.version WHERE v.leaf_seq > ? AND ${matching.sql} ORDER BY v.leaf_seq LIMIT ? OFFSET ?`,
    args: [seq, ...matching.args, n, skip],
  });
  if (cursor?.phase === "changed") {
    const changed = changedSince(cursor.afterSeq, limit + 1, offset);
    return {
      sql: changed.sql,
      args: changed.args,
      countSql,
      countArgs,
      limit,
      offset,
      nextCursor: (row) => encodeChangedCursor(Number(row.seq)),
    };
  }
  // Missing values sort last; _id and _lastUpdated are never missing, and without the IS NULL
  // term SQLite can read them in order from an index (no sort of every resource of the type).
  // Ties are broken by rid in the direction of the last key, so one index can be read backwards.
  const ridDescending = keys.at(-1)?.descending === true;
  const order = [
    ...keys.flatMap((k, i) => [...(k.nullable ? [`k${i} IS NULL`] : []), `k${i}${k.descending ? " DESC" : ""}`]),
    `r.rid${ridDescending ? " DESC" : ""}`,
  ];
  if (cursor !== undefined) {
    const c = keysetCondition(keys, cursor.keys, ridDescending);
    where.push(c.sql);
    args.push(...c.args);
  }
  const watermark = cursor?.watermark;
  if (watermark !== undefined) {
    // Phase `sorted`: only resources unchanged since the walk began, which keep their place.
    // One lookup by primary key per candidate row, in whatever order the plan reads them:
    // nothing for an order read from an index (page 2 of Observation?_sort=-_lastUpdated over
    // 98k, 0.03 ms), a quarter more where every match is sorted anyway (_sort=-date: 93 → 118 ms).
    where.push("(SELECT cv.leaf_seq FROM versions cv WHERE cv.rid = r.rid AND cv.version = r.version) <= ?");
    args.push(watermark);
  }
  const sql = `SELECT ${select.join(", ")} FROM resources r WHERE ${where.join(" AND ")} ORDER BY ${order.join(", ")} LIMIT ? OFFSET ?`;
  const allArgs = [...selectArgs, ...args, limit + 1, offset];
  if (allArgs.length > SQLITE_MAX_VARIABLES) throw tooManyVariables();
  return {
    sql,
    args: allArgs,
    countSql,
    countArgs,
    limit,
    offset,
    nextCursor: (row, readWatermark) => {
      const w = mutable ? (watermark ?? readWatermark) : undefined;
      if (mutable && w === undefined)
        throw new FhirLedgerError("internal", "A first page sorted on values that change needs a watermark");
      return encodeCursor([...keys.map((_, i) => row[`k${i}`] ?? null), row.rid ?? null], sortCount, w);
    },
    ...(mutable ? { walk: { watermark, changedSince: (seq: number, n: number) => changedSince(seq, n) } } : {}),
  };
}

function sortExpression(type: string, code: string, descending: boolean): SqlFragment & { nullable: boolean } {
  if (code === "_id") return { sql: "r.id", args: [], nullable: false };
  if (code === "_lastUpdated") return { sql: "r.last_updated", args: [], nullable: false };
  const def = requireDef(type, code);
  const agg = descending ? "MAX" : "MIN";
  const column = SQL_SEARCH_TYPES[def.type].sortColumn?.(descending, code);
  if (column === undefined) throw invalid(`Cannot sort by ${code}`);
  return {
    sql: `(SELECT ${agg}(${column}) FROM ${tableOf(def.type)} s WHERE s.rid = r.rid AND s.param = ?)`,
    args: [code],
    nullable: true,
  };
}
