import type { DateRow } from "../../../../../fhir/search/types/index.ts";
import { dateCondition } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<DateRow> = {
  kind: "date",
  table: "sp_date",
  run: (s, rid, type, seq, r) => s.run(rid, type, r.param, seq, r.grp, r.lo, r.hi),
};

/** date rows: inclusive [lo, hi] ranges of epoch milliseconds. */
export const dateSql: SqlSearchType = {
  table: {
    name: "sp_date",
    columns: "lo INTEGER NOT NULL, hi INTEGER NOT NULL",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date(type, param, hi);`,
  },
  writers: [writer],
  rowCondition: (x, _f, v, now) => dateCondition(`${x}.lo`, `${x}.hi`, v, now, (n) => n),
  sortColumn: (descending) => (descending ? "hi" : "lo"),
  selectivity: () => 0,
};
