import { PREFIXES, type Prefix, type SearchValue } from "../../../ports/SearchRequest.ts";
import { escapeValue, splitUnescaped, unescapeValue } from "../searchValueSyntax.ts";

/** Longest value we index; longer strings are cut (searches longer than this cannot match anyway). */
const MAX_VALUE = 2048;

/** A non-empty string as indexed (cut to the longest we index), else null. */
export function indexedText(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v.slice(0, MAX_VALUE) : null;
}

/** `eq100` → prefix eq, rest 100 (a bare prefix is a value). @see https://hl7.org/fhir/R4/search.html#prefix */
export function splitPrefix(text: string): { prefix?: Prefix; rest: string } {
  const p = text.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && text.length > 2) return { prefix: p, rest: text.slice(2) };
  return { rest: text };
}

/** A value with an optional comparison prefix, checked by `valid` (number, date, quantity's number). */
export function parseOrdered(head: string, valid: (text: string) => boolean): SearchValue | undefined {
  const { prefix, rest: text } = splitPrefix(unescapeValue(head));
  if (!valid(text)) return undefined;
  const v: SearchValue = { value: text };
  if (prefix) v.prefix = prefix;
  return v;
}

/** `[system|]code` (token, reference :identifier). */
export function parseSystemCode(piece: string): SearchValue {
  const parts = splitUnescaped(piece, "|", 2);
  if (parts.length === 1) return { value: unescapeValue(parts[0]!) };
  return { system: unescapeValue(parts[0]!), value: unescapeValue(parts[1]!) };
}

/** The plain value as typed: `[system|]value` when a system was given, else `[prefix]value`. */
export function formatPlain(v: SearchValue): string {
  if (v.system !== undefined) return `${escapeValue(v.system)}|${escapeValue(v.value)}`;
  return (v.prefix ?? "") + escapeValue(v.value);
}
