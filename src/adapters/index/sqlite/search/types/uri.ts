import type { UriRow } from "../../../../../fhir/search/types/index.ts";
import { MAX_CHAR } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<UriRow> = {
  kind: "uri",
  table: "sp_uri",
  run: (s, rid, type, seq, r) => s.run(rid, type, r.param, seq, r.grp, r.value),
};

/** uri rows: equality, `:below` as a range, `:above` as a prefix test. */
export const uriSql: SqlSearchType = {
  table: {
    name: "sp_uri",
    columns: "value TEXT NOT NULL",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_uri_value ON sp_uri(type, param, value);`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.modifier === "below")
      return { sql: `(${x}.value >= ? AND ${x}.value < ?)`, args: [v.value, v.value + MAX_CHAR] };
    if (f.modifier === "above") return { sql: `substr(?, 1, length(${x}.value)) = ${x}.value`, args: [v.value] };
    return { sql: `${x}.value = ?`, args: [v.value] };
  },
  sortColumn: () => "value",
  selectivity: () => 3,
};
