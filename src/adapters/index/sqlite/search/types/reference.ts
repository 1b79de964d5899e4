import { parseReference } from "../../../../../fhir/search/parseReference.ts";
import type { ReferenceRow } from "../../../../../fhir/search/types/index.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";
import { sealOrNull } from "../searchKey.ts";

const writer: RowWriter<ReferenceRow> = {
  kind: "reference",
  table: "sp_reference",
  run: (s, rid, type, seq, r, key) =>
    s.run(rid, type, r.param, seq, r.grp, r.targetType, r.targetId, sealOrNull(key, r.url)),
};

/**
 * reference rows: a local target as type and id (ids are the server's routing keys, in clear
 * like the resources table's), anything else as its URL, sealed (`:identifier` reads token rows).
 */
export const referenceSql: SqlSearchType = {
  table: {
    name: "sp_reference",
    columns: "target_type TEXT, target_id TEXT, url BLOB",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_reference_target ON sp_reference(target_id, target_type, type, param);
CREATE INDEX IF NOT EXISTS sp_reference_url ON sp_reference(type, param, url) WHERE url IS NOT NULL;`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.targetType !== undefined) {
      const ref = parseReference(v.value);
      const id = ref?.targetType === f.targetType ? ref.targetId : v.value;
      return { sql: `(${x}.target_type = ? AND ${x}.target_id = ?)`, args: [f.targetType, id] };
    }
    const ref = parseReference(v.value);
    if (ref?.url != null) return { sql: `${x}.url = fl_seal(?)`, args: [ref.url] };
    if (ref?.targetType != null)
      return { sql: `(${x}.target_type = ? AND ${x}.target_id = ?)`, args: [ref.targetType, ref.targetId] };
    return { sql: `${x}.target_id = ?`, args: [v.value] };
  },
  rowsOf: (f) => (f.modifier === "identifier" ? { type: "token", param: `${f.code}:identifier` } : undefined),
  sortColumn: () => "COALESCE(fl_open(url), target_type || '/' || target_id)",
  selectivity: () => 5,
};
