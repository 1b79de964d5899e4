import { unescapeValue } from "../searchValueSyntax.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain, indexedText } from "./values.ts";

export type UriRow = RowBase & { kind: "uri"; value: string };

const URI_ROWS: RowCodec<UriRow> = {
  kind: "uri",
  width: 1,
  key: (r) => `u\u0000${r.grp}\u0000${r.value}`,
  pack: (r, out, str) => out.push(str(r.value)),
  unpack: (_, at, str, param, grp) => ({ kind: "uri", param, grp, value: str(at)! }),
};

/**
 * uri: exact, `:below` (starts with), `:above` (is a prefix of).
 * @see https://hl7.org/fhir/R4/search.html#uri
 */
export const uriType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing", "above", "below"],
  sortable: true,
  parse: (piece) => ({ value: unescapeValue(piece) }),
  format: formatPlain,
  extract(param, grp, tv, _root, rows) {
    const s = indexedText(tv.value);
    if (s) rows.push({ kind: "uri", param, grp, value: s });
  },
  rows: [URI_ROWS],
};
