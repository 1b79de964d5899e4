import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import type { StringRow } from "../../../../../fhir/search/types/index.ts";
import { lengthOf, prefixOf, type SearchKey, STRING_PREFIX_LENGTHS } from "../searchKey.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

/** Rows one string value may take: its exact row (slot 0) and one per prefix length. */
export const STRING_SLOTS = 16;

/**
 * The sp_string rows of one value, as [slot, plen, h] (the value's seal goes on each):
 * slot 0 the exact row (plen 0, h the blind index of the value as written, for `:exact`),
 * then one per prefix length of STRING_PREFIX_LENGTHS the normal form reaches (h the blind
 * index of that prefix). The migration to blind rows writes the same rows.
 */
export function stringRows(key: SearchKey, value: string, norm: string): [number, number, Uint8Array][] {
  const rows: [number, number, Uint8Array][] = [[0, 0, key.blind("sx", value)]];
  const length = lengthOf(norm);
  for (const [i, k] of STRING_PREFIX_LENGTHS.entries()) {
    if (k > length) break;
    rows.push([i + 1, k, key.blind("sp", prefixOf(norm, k))]);
  }
  return rows;
}

const writer: RowWriter<StringRow> = {
  kind: "string",
  table: "sp_string",
  run(s, rid, type, seq, r, key) {
    const sealed = key.seal(r.value);
    for (const [slot, plen, h] of stringRows(key, r.value, r.norm))
      s.run(rid, type, r.param, seq * STRING_SLOTS + slot, r.grp, plen, h, sealed);
  },
};

/**
 * string rows, blind: no name, address or other text is stored in clear. Each value is
 * sealed (fl_open gives it back) and blinded at its prefixes (see stringRows): a starts-with
 * search of n characters is one lookup of the blind index of its longest listed prefix ≤ n,
 * the candidates then checked on their opened normal form when that prefix is shorter than
 * n; `:exact` is one lookup; `:contains` and sorts open the exact rows (plen 0).
 */
export const stringSql: SqlSearchType = {
  table: {
    name: "sp_string",
    columns: "plen INTEGER NOT NULL, h BLOB NOT NULL, sealed BLOB NOT NULL",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_string_blind ON sp_string(type, param, h);`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.modifier === "exact") return { sql: `${x}.h = fl_blind('sx', ?)`, args: [v.value] };
    const norm = normalizeString(v.value);
    if (f.modifier === "contains") return { sql: `(${x}.plen = 0 AND fl_contains(${x}.sealed, ?))`, args: [norm] };
    const n = lengthOf(norm);
    if (n === 0) return { sql: `${x}.plen = 0`, args: [] };
    const k = STRING_PREFIX_LENGTHS.findLast((p) => p <= n)!;
    const lookup = { sql: `${x}.h = fl_blind('sp', ?)`, args: [prefixOf(norm, k)] };
    if (k === n) return lookup;
    return { sql: `(${lookup.sql} AND fl_starts(${x}.sealed, ?))`, args: [...lookup.args, norm] };
  },
  sortColumn: () => "CASE WHEN plen = 0 THEN fl_norm(sealed) END",
  selectivity: () => 3,
};
