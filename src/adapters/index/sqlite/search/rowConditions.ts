import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { dateRange } from "../../../../fhir/search/dateRange.ts";
import { canonicalConverter } from "../../../../fhir/search/canonicalQuantity.ts";
import { approxDateMargin, numberBounds } from "../../../../fhir/search/matchSemantics.ts";
import { isSearchNumber } from "../../../../fhir/search/searchValueSyntax.ts";
import type { SearchValue } from "../../../../ports/SearchRequest.ts";
import type { SqlFragment } from "./compileSearch.ts";

/** Upper bound for "starts with" ranges on text columns (binary collation). */
export const MAX_CHAR = "\u{10FFFF}";

function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

/**
 * A quantity condition on one row as OR-ed alternatives, each of which one index range can
 * answer (a caller adding equalities to each keeps that true).
 */
export function quantityAlternatives(x: string, v: SearchValue): SqlFragment[] {
  const c = numberCondition(`${x}.value`, v);
  if (v.system === undefined) return [c];
  const ucum = canonicalConverter(v.system, v.unit);
  if (ucum) {
    // UCUM: compare in base units, so 160 [lb_av] is found by a search in kg; values whose
    // unit can't be converted still match on their own system and code.
    const n = numberCondition(`${x}.norm_value`, v, ucum.convert);
    return [
      { sql: `${x}.norm_unit = ? AND ${n.sql}`, args: [ucum.unit, ...n.args] },
      {
        sql: `${x}.norm_unit IS NULL AND ${x}.system = ? AND ${x}.code = ? AND ${c.sql}`,
        args: [v.system, v.unit!, ...c.args],
      },
    ];
  }
  const extra: string[] = [];
  const args = [...c.args];
  if (v.system !== "") {
    extra.push(`${x}.system = ?`);
    args.push(v.system);
  }
  if (v.unit !== undefined && v.unit !== "") {
    extra.push(v.system !== "" ? `${x}.code = ?` : `(${x}.code = ? OR ${x}.unit = ?)`);
    args.push(v.unit);
    if (v.system === "") args.push(v.unit);
  }
  return [{ sql: [c.sql, ...extra].join(" AND "), args }];
}

/** `system|code` (either part optional) on a pair of sealed token columns (equal values seal equally). */
export function tokenCondition(system: string, code: string, v: SearchValue): SqlFragment {
  if (v.system === undefined) return { sql: `${code} = fl_seal(?)`, args: [v.value] };
  if (v.system === "") return { sql: `(${code} = fl_seal(?) AND ${system} IS NULL)`, args: [v.value] };
  if (v.value === "") return { sql: `${system} = fl_seal(?)`, args: [v.system] };
  return { sql: `(${code} = fl_seal(?) AND ${system} = fl_seal(?))`, args: [v.value, v.system] };
}

export function dateCondition(
  loCol: string,
  hiCol: string,
  v: SearchValue,
  now: number,
  conv: (ms: number) => SQLInputValue,
): SqlFragment {
  const range = dateRange(v.value);
  if (!range) throw invalid("Malformed date value");
  const plo = conv(range.lo);
  const phi = conv(range.hi);
  const contained = { sql: `(${loCol} >= ? AND ${hiCol} <= ?)`, args: [plo, phi] };
  switch (v.prefix ?? "eq") {
    case "eq":
      return contained;
    case "ne":
      return { sql: `NOT ${contained.sql}`, args: contained.args };
    case "gt":
      return { sql: `${hiCol} > ?`, args: [phi] };
    case "lt":
      return { sql: `${loCol} < ?`, args: [plo] };
    case "ge":
      return { sql: `(${hiCol} > ? OR ${contained.sql})`, args: [phi, ...contained.args] };
    case "le":
      return { sql: `(${loCol} < ? OR ${contained.sql})`, args: [plo, ...contained.args] };
    case "sa":
      return { sql: `${loCol} > ?`, args: [phi] };
    case "eb":
      return { sql: `${hiCol} < ?`, args: [plo] };
    case "ap": {
      const w = approxDateMargin(range.lo, now);
      return { sql: `(${loCol} <= ? AND ${hiCol} >= ?)`, args: [conv(range.hi + w), conv(range.lo - w)] };
    }
  }
}

/** A number search value (prefix and implicit range) on a column, `convert` mapping the bounds into its unit. */
export function numberCondition(col: string, v: SearchValue, convert: (n: number) => number = (n) => n): SqlFragment {
  if (!isSearchNumber(v.value)) throw invalid("Malformed number value");
  const raw = numberBounds(v.value);
  const b = {
    value: convert(raw.value),
    lo: convert(raw.lo),
    hi: convert(raw.hi),
    apLo: convert(raw.apLo),
    apHi: convert(raw.apHi),
  };
  switch (v.prefix ?? "eq") {
    case "eq":
      return { sql: `(${col} >= ? AND ${col} < ?)`, args: [b.lo, b.hi] };
    case "ne":
      return { sql: `NOT (${col} >= ? AND ${col} < ?)`, args: [b.lo, b.hi] };
    case "gt":
    case "sa":
      return { sql: `${col} > ?`, args: [b.value] };
    case "lt":
    case "eb":
      return { sql: `${col} < ?`, args: [b.value] };
    case "ge":
      return { sql: `${col} >= ?`, args: [b.value] };
    case "le":
      return { sql: `${col} <= ?`, args: [b.value] };
    case "ap":
      return { sql: `(${col} >= ? AND ${col} <= ?)`, args: [b.apLo, b.apHi] };
  }
}
