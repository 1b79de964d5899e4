import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import type { TokenRow } from "../../../../../fhir/search/types/index.ts";
import { tokenCondition } from "../rowConditions.ts";
import { sealOrNull } from "../searchKey.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<TokenRow> = {
  kind: "token",
  table: "sp_token",
  run: (s, rid, type, seq, r, key) =>
    s.run(rid, type, r.param, seq, r.grp, sealOrNull(key, r.system), sealOrNull(key, r.code), sealOrNull(key, r.text)),
};

/**
 * token rows, sealed (identifiers, telecoms and codes are never in clear): system and code
 * match as equal seals (an equality index, see SearchKey.seal), `:text` opens the normalised
 * display texts of the parameter's rows, sorts open the codes.
 */
export const tokenSql: SqlSearchType = {
  table: {
    name: "sp_token",
    columns: "system BLOB, code BLOB, text BLOB",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX IF NOT EXISTS sp_token_text ON sp_token(type, param) WHERE text IS NOT NULL;`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.modifier === "text")
      return { sql: `(${x}.text IS NOT NULL AND fl_starts(${x}.text, ?))`, args: [normalizeString(v.value)] };
    return tokenCondition(`${x}.system`, `${x}.code`, v);
  },
  sortColumn: () => "fl_open(code)",
  selectivity: (f) =>
    f.modifier === "text" ? 2 : f.values.every((v) => v.system !== undefined && v.value !== "") ? 4 : 3,
};
