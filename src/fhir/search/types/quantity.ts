import { canonicalQuantity } from "../canonicalQuantity.ts";
import { escapeValue, isSearchNumber, splitUnescaped, unescapeValue } from "../searchValueSyntax.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { indexedText, parseOrdered } from "./values.ts";

export type QuantityRow = RowBase & {
  kind: "quantity";
  value: number;
  system: string | null;
  code: string | null;
  unit: string | null;
  /** the value in UCUM base units (null when not UCUM-convertible) */
  normValue: number | null;
  normUnit: string | null;
};

/** The quantity columns of a row (quantity rows, and token×quantity rows after their token). */
export type QuantityFields = Omit<QuantityRow, "kind" | "param" | "grp">;

/** Packed width of QuantityFields. */
export const QUANTITY_FIELDS = 6;

/** Packs QuantityFields (QUANTITY_FIELDS numbers). */
export function packQuantity(r: QuantityFields, out: number[], str: (value: string | null) => number): void {
  out.push(r.value, str(r.system), str(r.code), str(r.unit), r.normValue ?? Number.NaN, str(r.normUnit));
}

export function unpackQuantity(numbers: Float64Array, at: number, str: (i: number) => string | null): QuantityFields {
  return {
    value: numbers[at]!,
    system: str(at + 1),
    code: str(at + 2),
    unit: str(at + 3),
    normValue: Number.isNaN(numbers[at + 4]!) ? null : numbers[at + 4]!,
    normUnit: str(at + 5),
  };
}

const QUANTITY_ROWS: RowCodec<QuantityRow> = {
  kind: "quantity",
  width: QUANTITY_FIELDS,
  // norm follows from these
  key: (r) => `q\u0000${r.grp}\u0000${r.value}\u0000${r.system}\u0000${r.code}\u0000${r.unit}`,
  pack: packQuantity,
  unpack: (numbers, at, str, param, grp) => ({ kind: "quantity", param, grp, ...unpackQuantity(numbers, at, str) }),
};

/**
 * quantity: `[prefix]number[|system|code]`; UCUM quantities also match across units (in base
 * units), Money by currency.
 * @see https://hl7.org/fhir/R4/search.html#quantity
 */
export const quantityType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing"],
  sortable: true,
  parse(piece) {
    const [head, ...rest] = splitUnescaped(piece, "|", 3);
    const v = parseOrdered(head!, isSearchNumber);
    if (v && rest.length > 0) {
      v.system = unescapeValue(rest[0]!);
      v.unit = unescapeValue(rest[1] ?? "");
    }
    return v;
  },
  format(v) {
    const text = (v.prefix ?? "") + escapeValue(v.value);
    return v.system === undefined ? text : `${text}|${escapeValue(v.system)}|${escapeValue(v.unit ?? "")}`;
  },
  extract(param, grp, tv, _root, rows) {
    const v = tv.value;
    const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    if (typeof o.value !== "number" || !Number.isFinite(o.value)) return;
    if (tv.type === "Money") {
      rows.push({
        kind: "quantity",
        param,
        grp,
        value: o.value,
        system: "urn:iso:std:iso:4217",
        code: indexedText(o.currency),
        unit: null,
        normValue: null,
        normUnit: null,
      });
      return;
    }
    const system = indexedText(o.system);
    const code = indexedText(o.code);
    const norm = canonicalQuantity(o.value, system, code);
    rows.push({
      kind: "quantity",
      param,
      grp,
      value: o.value,
      system,
      code,
      unit: indexedText(o.unit),
      normValue: norm?.value ?? null,
      normUnit: norm?.unit ?? null,
    });
  },
  rows: [QUANTITY_ROWS],
};
