import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import type { TokenRow } from "../../../../../fhir/search/types/index.ts";
import { MAX_CHAR, tokenCondition } from "../rowConditions.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<TokenRow> = {
  kind: "token",
  table: "sp_token",
  run: (s, rid, type, seq, r) => s.run(rid, type, r.param, seq, r.grp, r.system, r.code, r.text),
};

/** token rows: system and code, and the normalised text `:text` searches. */
export const tokenSql: SqlSearchType = {
  table: {
    name: "sp_token",
    columns: "system TEXT, code TEXT, text TEXT",
    indexes: `
CREATE INDEX IF NOT EXISTS sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX IF NOT EXISTS sp_token_text ON sp_token(type, param, text) WHERE text IS NOT NULL;`,
  },
  writers: [writer],
  rowCondition(x, f, v) {
    if (f.modifier === "text") {
      const norm = normalizeString(v.value);
      return { sql: `(${x}.text >= ? AND ${x}.text < ?)`, args: [norm, norm + MAX_CHAR] };
    }
    return tokenCondition(`${x}.system`, `${x}.code`, v);
  },
  sortColumn: () => "code",
  selectivity: (f) =>
    f.modifier === "text" ? 2 : f.values.every((v) => v.system !== undefined && v.value !== "") ? 4 : 3,
};
