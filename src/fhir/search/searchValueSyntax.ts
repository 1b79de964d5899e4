/** Splits a parameter value at commas not escaped by `\`. Escapes are kept for the next split. */
export function splitUnescaped(raw: string, separator: string, limit = Infinity): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === "\\") i++;
    else if (ch === separator && out.length < limit - 1) {
      out.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  out.push(raw.slice(start));
  return out;
}

/** Removes search escapes (`\,` `\|` `\$` `\\`). @see https://hl7.org/fhir/R4/search.html#escaping */
export function unescapeValue(piece: string): string {
  return piece.replace(/\\(.)/gsu, "$1");
}

/** Escapes a value so that `unescapeValue(splitUnescaped(x))` returns it. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => "\\" + c);
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** True for a FHIR search number ("100", "1.5e2", "-0.25"). */
export function isSearchNumber(text: string): boolean {
  const m = text.length <= 64 ? NUMBER_RE.exec(text) : null;
  if (!m) return false;
  const exponent = m[3] ? Number(m[3].slice(1)) : 0;
  return Math.abs(exponent) <= 300 && Number.isFinite(Number(text));
}

/**
 * The implicit range of a search number given its precision: "100" means [99.5, 100.5).
 * @see https://hl7.org/fhir/R4/search.html#number
 */
export function numberRange(text: string): { value: number; lo: number; hi: number } {
  const m = NUMBER_RE.exec(text)!;
  const value = Number(text);
  const decimals = m[2] ? m[2].length - 1 : 0;
  const exponent = m[3] ? Number(m[3].slice(1)) : 0;
  const half = 0.5 * 10 ** (exponent - decimals);
  return { value, lo: value - half, hi: value + half };
}
