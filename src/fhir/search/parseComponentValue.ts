import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { dateRange } from "./dateRange.ts";
import type { SearchParamType } from "./searchParameters.ts";
import { isSearchNumber, splitUnescaped, unescapeValue } from "./searchValueSyntax.ts";
import { PREFIXES, type Prefix, type SearchValue } from "./SearchRequest.ts";

/** Parses one `$`-separated component of a composite value according to its parameter type. */
export function parseComponentValue(type: SearchParamType, raw: string): SearchValue {
  if (type === "token") {
    const parts = splitUnescaped(raw, "|", 2);
    return parts.length === 1
      ? { value: unescapeValue(parts[0]!) }
      : { system: unescapeValue(parts[0]!), value: unescapeValue(parts[1]!) };
  }
  if (type === "quantity" || type === "number" || type === "date") {
    const [head, ...rest] = type === "quantity" ? splitUnescaped(raw, "|", 3) : [raw];
    let text = unescapeValue(head!);
    const v: SearchValue = { value: text };
    const p = text.slice(0, 2) as Prefix;
    if (PREFIXES.includes(p) && text.length > 2) {
      v.prefix = p;
      text = text.slice(2);
      v.value = text;
    }
    const ok = type === "date" ? dateRange(text) !== undefined : isSearchNumber(text);
    if (!ok) throw new FhirLedgerError("invalid", `Malformed ${type} value in composite`);
    if (rest.length > 0) {
      v.system = unescapeValue(rest[0]!);
      v.unit = unescapeValue(rest[1] ?? "");
    }
    return v;
  }
  return { value: unescapeValue(raw) };
}
