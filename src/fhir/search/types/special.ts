import { unescapeValue } from "../searchValueSyntax.ts";
import type { SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain } from "./values.ts";

/**
 * special (`near`, `_text`, `_content`, `_query`…): each has its own semantics, none of
 * which we implement; such parameters are reported as unsupported, never indexed.
 * @see https://hl7.org/fhir/R4/search.html#special
 */
export const specialType: SearchTypeModule = {
  searchable: false,
  modifiers: [],
  sortable: false,
  parse: (piece) => ({ value: unescapeValue(piece) }),
  format: formatPlain,
  extract() {},
  rows: [],
};
