import type { QuantityRow } from "../../../../../fhir/search/types/index.ts";
import { quantityAlternatives } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

/** The quantity value columns (also those of sp_token_quantity after its token). */
export const QUANTITY_COLUMNS =
  "value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT";

const writer: RowWriter<QuantityRow> = {
  kind: "quantity",
  table: "sp_quantity",
  run: (s, rid, type, seq, r) =>
    s.run(rid, type, r.param, seq, r.grp, r.value, r.system, r.code, r.unit, r.normValue, r.normUnit),
};

/** quantity rows: value, system, code and unit, and UCUM quantities in base units (norm_value, norm_unit). */
export const quantitySql: SqlSearchType = {
  table: {
    name: "sp_quantity",
    columns: QUANTITY_COLUMNS,
    indexes: `
CREATE INDEX IF NOT EXISTS sp_quantity_code ON sp_quantity(type, param, code, value);
CREATE INDEX IF NOT EXISTS sp_quantity_norm ON sp_quantity(type, param, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_quantity_value ON sp_quantity(type, param, value);`,
  },
  writers: [writer],
  rowCondition(x, _f, v) {
    const alternatives = quantityAlternatives(x, v);
    if (alternatives.length === 1) return alternatives[0]!;
    return {
      sql: `(${alternatives.map((a) => `(${a.sql})`).join(" OR ")})`,
      args: alternatives.flatMap((a) => a.args),
    };
  },
  sortColumn: () => "value",
  selectivity: () => 0,
};
