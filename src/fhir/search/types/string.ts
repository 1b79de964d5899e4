import { normalizeString } from "../normalizeString.ts";
import { unescapeValue } from "../searchValueSyntax.ts";
import type { SearchRow } from "./index.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain, indexedText } from "./values.ts";

/** A string value and its normal form (what matching compares). */
export type StringRow = RowBase & { kind: "string"; value: string; norm: string };

const STRING_ROWS: RowCodec<StringRow> = {
  kind: "string",
  width: 2,
  key: (r) => `s\u0000${r.grp}\u0000${r.value}`,
  pack: (r, out, str) => out.push(str(r.value), str(r.norm)),
  unpack: (_, at, str, param, grp) => ({ kind: "string", param, grp, value: str(at)!, norm: str(at + 1)! }),
};

function pushString(param: string, grp: number, v: unknown, rows: SearchRow[]): void {
  const value = indexedText(v);
  if (value !== null) rows.push({ kind: "string", param, grp, value, norm: normalizeString(value) });
}

/**
 * string: starts-with on the normal form by default, `:exact`, `:contains`; a HumanName or an
 * Address is indexed as each of its text parts.
 * @see https://hl7.org/fhir/R4/search.html#string
 */
export const stringType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing", "exact", "contains"],
  sortable: true,
  parse: (piece) => ({ value: unescapeValue(piece) }),
  format: formatPlain,
  extract(param, grp, tv, _root, rows) {
    const v = tv.value;
    if (typeof v === "string") {
      pushString(param, grp, v, rows);
      return;
    }
    const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    if (tv.type === "HumanName") {
      for (const k of ["text", "family"]) pushString(param, grp, o[k], rows);
      for (const k of ["given", "prefix", "suffix"])
        if (Array.isArray(o[k])) for (const x of o[k]) pushString(param, grp, x, rows);
    } else if (tv.type === "Address") {
      for (const k of ["text", "city", "district", "state", "postalCode", "country"])
        pushString(param, grp, o[k], rows);
      if (Array.isArray(o.line)) for (const x of o.line) pushString(param, grp, x, rows);
    }
  },
  rows: [STRING_ROWS],
};
