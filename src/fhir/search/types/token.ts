import type { TypedValue } from "../fhirPathPlan.ts";
import { normalizeString } from "../normalizeString.ts";
import { unescapeValue } from "../searchValueSyntax.ts";
import type { SearchRow } from "./index.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain, indexedText, parseSystemCode } from "./values.ts";

/** A code with its system; `text` (normalised display or CodeableConcept.text) serves `:text`. */
export type TokenRow = RowBase & { kind: "token"; system: string | null; code: string | null; text: string | null };

const TOKEN_ROWS: RowCodec<TokenRow> = {
  kind: "token",
  width: 3,
  key: (r) => `t\u0000${r.grp}\u0000${r.system}\u0000${r.code}\u0000${r.text}`,
  pack: (r, out, str) => out.push(str(r.system), str(r.code), str(r.text)),
  unpack: (_, at, str, param, grp) => ({
    kind: "token",
    param,
    grp,
    system: str(at),
    code: str(at + 1),
    text: str(at + 2),
  }),
};

/** The token rows of one element (also used for a Reference's identifier). */
export function extractTokens(param: string, grp: number, tv: TypedValue, rows: SearchRow[]): void {
  const v = tv.value;
  if (typeof v === "boolean") {
    rows.push({ kind: "token", param, grp, system: null, code: String(v), text: null });
    return;
  }
  if (typeof v === "string") {
    const code = indexedText(v);
    if (code) rows.push({ kind: "token", param, grp, system: null, code, text: null });
    return;
  }
  if (typeof v !== "object" || v === null) return;
  const o = v as Record<string, unknown>;
  switch (tv.type) {
    case "CodeableConcept": {
      if (Array.isArray(o.coding)) {
        for (const c of o.coding)
          if (c && typeof c === "object") codingRow(param, grp, c as Record<string, unknown>, rows);
      }
      const text = indexedText(o.text);
      if (text) rows.push({ kind: "token", param, grp, system: null, code: null, text: normalizeString(text) });
      return;
    }
    case "Coding":
      codingRow(param, grp, o, rows);
      return;
    case "Identifier": {
      const type = o.type as Record<string, unknown> | undefined;
      const text = indexedText(type?.text);
      const code = indexedText(o.value);
      if (code || text)
        rows.push({
          kind: "token",
          param,
          grp,
          system: indexedText(o.system),
          code,
          text: text ? normalizeString(text) : null,
        });
      return;
    }
    case "ContactPoint": {
      const code = indexedText(o.value);
      if (code) rows.push({ kind: "token", param, grp, system: indexedText(o.system), code, text: null });
      return;
    }
    default:
      // a Quantity or other object on a token parameter: index system|code when present
      if (typeof o.code === "string") codingRow(param, grp, o, rows);
  }
}

function codingRow(param: string, grp: number, c: Record<string, unknown>, rows: SearchRow[]): void {
  const code = indexedText(c.code);
  const display = indexedText(c.display);
  if (code || display) {
    rows.push({
      kind: "token",
      param,
      grp,
      system: indexedText(c.system),
      code,
      text: display ? normalizeString(display) : null,
    });
  }
}

/**
 * token: `[system|]code`, `:not`, `:text` (starts-with on the normalised display and text).
 * @see https://hl7.org/fhir/R4/search.html#token
 */
export const tokenType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing", "not", "text"],
  sortable: true,
  parse: (piece, modifier) => (modifier === "text" ? { value: unescapeValue(piece) } : parseSystemCode(piece)),
  format: formatPlain,
  extract: (param, grp, tv, _root, rows) => extractTokens(param, grp, tv, rows),
  rows: [TOKEN_ROWS],
};
