import type { TypedValue } from "../fhirPathPlan.ts";
import type { SearchRow } from "./index.ts";
import { packQuantity, QUANTITY_FIELDS, type QuantityRow, unpackQuantity } from "./quantity.ts";
import type { CompositeParts, RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import type { TokenRow } from "./token.ts";

/**
 * One (token, quantity) pair of one focus element of a token×quantity composite
 * (`code-value-quantity`): the token's system and code, then the quantity's columns.
 */
export type TokenQuantityRow = RowBase & {
  kind: "token-quantity";
  tokenSystem: string | null;
  tokenCode: string;
} & Omit<QuantityRow, "kind" | "param" | "grp">;

const TOKEN_QUANTITY_ROWS: RowCodec<TokenQuantityRow> = {
  kind: "token-quantity",
  width: 2 + QUANTITY_FIELDS,
  key: (r) =>
    `p\u0000${r.grp}\u0000${r.tokenSystem}\u0000${r.tokenCode}\u0000${r.value}\u0000${r.system}\u0000${r.code}\u0000${r.unit}`,
  pack(r, out, str) {
    out.push(str(r.tokenSystem), str(r.tokenCode));
    packQuantity(r, out, str);
  },
  unpack: (numbers, at, str, param, grp) => ({
    kind: "token-quantity",
    param,
    grp,
    tokenSystem: str(at),
    tokenCode: str(at + 1)!,
    ...unpackQuantity(numbers, at + 2, str),
  }),
};

/** Scratch lists of pairRows (extraction is synchronous; emptied after each use). */
const tokens: SearchRow[] = [];
const quantities: SearchRow[] = [];

/**
 * Rows of a token×quantity composite for one focus element: every (token, quantity) pair. As
 * for component rows, tokens without a code are left out (composites match by code), and an
 * element lacking either component yields nothing.
 */
function pairRows(
  param: string,
  grp: number,
  element: TypedValue,
  root: Record<string, unknown>,
  rows: SearchRow[],
  { components }: CompositeParts,
): void {
  const [token, quantity] = components;
  try {
    for (const v of token!.evaluate(element, root)) token!.module.extract(param, grp, v, root, tokens);
    if (!tokens.some((t) => t.kind === "token" && t.code !== null)) return;
    for (const v of quantity!.evaluate(element, root)) quantity!.module.extract(param, grp, v, root, quantities);
    for (const t of tokens) {
      if (t.kind !== "token" || t.code === null) continue;
      for (const q of quantities) {
        if (q.kind !== "quantity") continue;
        rows.push({
          kind: "token-quantity",
          param,
          grp,
          tokenSystem: t.system,
          tokenCode: t.code,
          value: q.value,
          system: q.system,
          code: q.code,
          unit: q.unit,
          normValue: q.normValue,
          normUnit: q.normUnit,
        });
      }
    }
  } finally {
    tokens.length = 0;
    quantities.length = 0;
  }
}

/** Composite components match by code only (no :text), so text-only token rows are not needed. */
function dropTextOnly(rows: SearchRow[], start: number): void {
  let w = start;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.kind === "token" && (r as TokenRow).code === null) continue;
    rows[w++] = r;
  }
  rows.length = w;
}

/**
 * composite: `a$b` over the components of one element. A component value is written in its
 * own type's syntax and parsed by the SQL half, so `$` and the components' escapes are kept
 * here. Components are indexed as rows of their own types under `<code>$<index>`, tied by the
 * element's number (grp); a token×quantity composite as one row per pair instead.
 * @see https://hl7.org/fhir/R4/search.html#composite
 */
export const compositeType: SearchTypeModule = {
  searchable: true,
  modifiers: [],
  sortable: false,
  parse: (piece) => ({ value: piece }),
  format: (v) => v.value,
  extract(param, grp, element, root, rows, parts) {
    if (!parts) return;
    if (parts.pairs) {
      pairRows(param, grp, element, root, rows, parts);
      return;
    }
    // A composite value only exists where every component has one; skip partial groups.
    const start = rows.length;
    for (const c of parts.components) {
      const before = rows.length;
      for (const v of c.evaluate(element, root)) c.module.extract(c.param, grp, v, root, rows);
      if (c.type === "token") dropTextOnly(rows, before);
      if (rows.length === before) {
        rows.length = start;
        return;
      }
    }
  },
  rows: [TOKEN_QUANTITY_ROWS],
};
