import type { DatabaseSync } from "node:sqlite";
import type { SearchRow } from "../../../../../fhir/search/types/index.ts";

/**
 * Search rows as index layouts 4-7 stored them, values in clear (before step 8 sealed and
 * blinded them), numbered as the writer of those layouts numbered them: for tests that make an
 * index file of an earlier layout and migrate it. Frozen, like the layouts it writes.
 */
export function writeClearRows(db: DatabaseSync, rid: number, type: string, rows: readonly SearchRow[]): void {
  let seq = 0;
  let paramSeq = 0;
  let seqParam = "";
  for (const r of rows) {
    seq++;
    const insert = (table: string, columns: string, values: unknown[], n = seq) =>
      db
        .prepare(
          `INSERT INTO ${table} (rid, type, param, seq, grp, ${columns}) VALUES (?, ?, ?, ?, ?, ${values.map(() => "?").join(", ")})`,
        )
        .run(rid, type, r.param, n, r.grp, ...(values as never[]));
    switch (r.kind) {
      case "string":
        insert("sp_string", "value_norm, value", [r.norm, r.value]);
        break;
      case "token":
        insert("sp_token", "system, code, text", [r.system, r.code, r.text]);
        break;
      case "date":
        insert("sp_date", "lo, hi", [r.lo, r.hi]);
        break;
      case "number":
        insert("sp_number", "value", [r.value]);
        break;
      case "quantity":
        insert("sp_quantity", "value, system, code, unit, norm_value, norm_unit", [
          r.value,
          r.system,
          r.code,
          r.unit,
          r.normValue,
          r.normUnit,
        ]);
        break;
      case "reference":
        insert("sp_reference", "target_type, target_id, url", [r.targetType, r.targetId, r.url]);
        break;
      case "uri":
        insert("sp_uri", "value", [r.value]);
        break;
      case "token-quantity":
        if (r.param !== seqParam) {
          seqParam = r.param;
          paramSeq = 0;
        }
        insert(
          "sp_token_quantity",
          "token_system, token_code, value, system, code, unit, norm_value, norm_unit",
          [r.tokenSystem, r.tokenCode, r.value, r.system, r.code, r.unit, r.normValue, r.normUnit],
          ++paramSeq,
        );
        break;
    }
  }
}
