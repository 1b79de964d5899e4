import { isSearchNumber } from "../searchValueSyntax.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain, parseOrdered } from "./values.ts";

export type NumberRow = RowBase & { kind: "number"; value: number };

const NUMBER_ROWS: RowCodec<NumberRow> = {
  kind: "number",
  width: 1,
  key: (r) => `n\u0000${r.grp}\u0000${r.value}`,
  pack: (r, out) => out.push(r.value),
  unpack: (numbers, at, _, param, grp) => ({ kind: "number", param, grp, value: numbers[at]! }),
};

/**
 * number: a prefix and a number whose precision is its implicit range.
 * @see https://hl7.org/fhir/R4/search.html#number
 */
export const numberType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing"],
  sortable: true,
  parse: (piece) => parseOrdered(piece, isSearchNumber),
  format: formatPlain,
  extract(param, grp, tv, _root, rows) {
    const v = tv.value;
    if (typeof v === "number" && Number.isFinite(v)) rows.push({ kind: "number", param, grp, value: v });
  },
  rows: [NUMBER_ROWS],
};
