const cache = new Map<string, string>();
const CACHE_LIMIT = 20_000;
const PLAIN = /^[\x21-\x7e]*(?: [\x21-\x7e]+)*$/;

/**
 * The form used for default (starts-with) and :contains string matching:
 * case-folded, accents and other combining marks removed, whitespace collapsed.
 * @see https://hl7.org/fhir/R4/search.html#string
 */
export function normalizeString(value: string): string {
  if (PLAIN.test(value)) return value.toLowerCase(); // printable ASCII, single spaces: nothing else to do
  let out = cache.get(value);
  if (out !== undefined) return out;
  out = value
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(value, out);
  return out;
}
