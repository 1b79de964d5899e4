import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import type { StringRow } from "../../../../../fhir/search/types/index.ts";
import { MAX_CHAR } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<StringRow> = {
  kind: "string",
  table: "sp_string",
  run: (s, rid, type, seq, r) => s.run(rid, type, r.param, seq, r.grp, r.norm, r.value),
};

/** string rows: matched on the normalised column, which is indexed (equal values have equal normal forms). */
export const stringSql: SqlSearchType = {
  table: {
    name: "sp_string",
    columns: "value_norm TEXT NOT NULL, value TEXT NOT NULL",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_string_norm ON sp_string(type, param, value_norm);`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.modifier === "exact")
      return { sql: `(${x}.value_norm = ? AND ${x}.value = ?)`, args: [normalizeString(v.value), v.value] };
    const norm = normalizeString(v.value);
    if (f.modifier === "contains") return { sql: `instr(${x}.value_norm, ?) > 0`, args: [norm] };
    return { sql: `(${x}.value_norm >= ? AND ${x}.value_norm < ?)`, args: [norm, norm + MAX_CHAR] };
  },
  sortColumn: () => "value_norm",
  selectivity: () => 3,
};
