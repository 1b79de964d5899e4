import type { DateRow } from "../../../../../fhir/search/types/index.ts";
import { dateCondition } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

/**
 * Date parameters that say who a person is (with a postcode and a sex, a birth date alone
 * singles out most people): their ranges are sealed, never in clear. Other dates (when a
 * clinical event happened) stay in clear for range lookups: they hang off a row id whose
 * name, identifiers and birth date are all sealed. Matching a sealed date opens it per
 * candidate (dates never drive a search; a birth-date-only search opens one row per patient).
 */
export const SEALED_DATE_PARAMS: ReadonlySet<string> = new Set(["birthdate", "death-date"]);

const writer: RowWriter<DateRow> = {
  kind: "date",
  table: "sp_date",
  run: (s, rid, type, seq, r, key) =>
    SEALED_DATE_PARAMS.has(r.param)
      ? s.run(rid, type, r.param, seq, r.grp, 0, 0, key.seal(`${r.lo},${r.hi}`))
      : s.run(rid, type, r.param, seq, r.grp, r.lo, r.hi, null),
};

/**
 * The [lo, hi] of a parameter's rows as SQL: sealed ones opened (fl_date), the others as
 * stored. `of`: the columns' qualifier (`x.`, or none inside a sort's subquery).
 */
function bounds(of: string, code: string | undefined): [string, string] {
  return code !== undefined && SEALED_DATE_PARAMS.has(code)
    ? [`fl_date(${of}sealed, 0)`, `fl_date(${of}sealed, 1)`]
    : [`${of}lo`, `${of}hi`];
}

/** date rows: inclusive [lo, hi] ranges of epoch milliseconds (0, 0 and `sealed` for SEALED_DATE_PARAMS). */
export const dateSql: SqlSearchType = {
  table: {
    name: "sp_date",
    columns: "lo INTEGER NOT NULL, hi INTEGER NOT NULL, sealed BLOB",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date(type, param, hi);`,
  },
  writers: [writer],
  rowCondition: (x, f, v, now) => {
    const [lo, hi] = bounds(`${x}.`, f.code);
    return dateCondition(lo, hi, v, now, (n) => n);
  },
  sortColumn: (descending, code) => bounds("", code)[descending ? 1 : 0],
  selectivity: () => 0,
};
