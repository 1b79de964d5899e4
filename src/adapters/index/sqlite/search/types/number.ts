import type { NumberRow } from "../../../../../fhir/search/types/index.ts";
import { numberCondition } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<NumberRow> = {
  kind: "number",
  table: "sp_number",
  run: (s, rid, type, seq, r) => s.run(rid, type, r.param, seq, r.grp, r.value),
};

/** number rows: the value, compared with the search number's implicit range. */
export const numberSql: SqlSearchType = {
  table: {
    name: "sp_number",
    columns: "value REAL NOT NULL",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_number_value ON sp_number(type, param, value);`,
  },
  writers: [writer],
  rowCondition: (x, _f, v) => numberCondition(`${x}.value`, v),
  sortColumn: () => "value",
  selectivity: () => 0,
};
