import { parseReference } from "../parseReference.ts";
import { unescapeValue } from "../searchValueSyntax.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { extractTokens } from "./token.ts";
import { formatPlain, indexedText, parseSystemCode } from "./values.ts";

/** A local reference as type and id, or an absolute/canonical one as its URL. */
export type ReferenceRow = RowBase & {
  kind: "reference";
  targetType: string | null;
  targetId: string | null;
  url: string | null;
};

const REFERENCE_ROWS: RowCodec<ReferenceRow> = {
  kind: "reference",
  width: 3,
  key: (r) => `r\u0000${r.grp}\u0000${r.targetType}\u0000${r.targetId}\u0000${r.url}`,
  pack: (r, out, str) => out.push(str(r.targetType), str(r.targetId), str(r.url)),
  unpack: (_, at, str, param, grp) => ({
    kind: "reference",
    param,
    grp,
    targetType: str(at),
    targetId: str(at + 1),
    url: str(at + 2),
  }),
};

/**
 * reference: `[type/]id` or a URL, `:[type]`, `:identifier` (a token search on
 * Reference.identifier, indexed as token rows under `<code>:identifier`).
 * @see https://hl7.org/fhir/R4/search.html#reference
 */
export const referenceType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing", "identifier"],
  sortable: true,
  parse: (piece, modifier) => (modifier === "identifier" ? parseSystemCode(piece) : { value: unescapeValue(piece) }),
  format: formatPlain,
  extract(param, grp, tv, _root, rows) {
    const v = tv.value;
    if (typeof v === "string") {
      const url = indexedText(v.split("|")[0]);
      if (url) rows.push({ kind: "reference", param, grp, targetType: null, targetId: null, url });
      return;
    }
    if (tv.type !== "Reference") return;
    const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
    if (typeof o.reference === "string") {
      const ref = parseReference(o.reference);
      if (ref) rows.push({ kind: "reference", param, grp, ...ref });
    }
    if (typeof o.identifier === "object" && o.identifier !== null) {
      extractTokens(
        `${param}:identifier`,
        grp,
        { value: o.identifier, type: "Identifier", typePath: "Identifier" },
        rows,
      );
    }
  },
  rows: [REFERENCE_ROWS],
};
