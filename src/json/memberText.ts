import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./jsonCharCodes.ts";

/**
 * The source text of one member's value in a JSON object, without parsing it: the import CLI
 * forwards entries exactly as the files wrote them (decimals keep their text) instead of
 * parsing and serialising them again. `text` must be valid JSON (parse it first).
 */
export function memberValueText(text: string, name: string): string | undefined {
  const start = memberValueStart(text, name);
  return start === undefined ? undefined : text.slice(start, endOfValue(text, start));
}

/** Where one member's value starts in a JSON object's text, or undefined; the value itself is not scanned. */
export function memberValueStart(text: string, name: string): number | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    if (key === name) return i;
    i = skipSpace(text, endOfValue(text, i));
    if (text.charCodeAt(i) !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** [start, end) of each item of the JSON array whose text starts (with "[") at `start`. */
export function arrayItemSpans(text: string, start: number): [number, number][] {
  const spans: [number, number][] = [];
  if (text.charCodeAt(start) !== OPEN_BRACKET) return spans;
  let i = skipSpace(text, start + 1);
  while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
    const itemEnd = endOfValue(text, i);
    spans.push([i, itemEnd]);
    i = skipSpace(text, itemEnd);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
    else break;
  }
  return spans;
}

/** The text between the brackets of a JSON array's text, trimmed ("" for an empty array). */
export function arrayItemsText(arrayText: string): string {
  return arrayText.slice(arrayText.indexOf("[") + 1, arrayText.lastIndexOf("]")).trim();
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just past the string starting at `i` (a quote). */
function endOfString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let b = q - 1;
    while (b > i && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1; // an even run of backslashes escapes nothing
    j = q + 1;
  }
}

/** The next quote or bracket: the only characters that change depth (searched natively). */
const STRUCTURAL = /["[\]{}]/g;

/** Index just past the value starting at `i`. */
function endOfValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return endOfString(text, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (
        c === COMMA ||
        c === CLOSE_BRACE ||
        c === CLOSE_BRACKET ||
        c === 0x20 ||
        c === 0x0a ||
        c === 0x0d ||
        c === 0x09
      )
        break;
      j++;
    }
    return j;
  }
  let depth = 0;
  let j = i;
  for (;;) {
    // test, not exec: exec builds a match array per character found, which made this scan
    // allocate about six times the size of an import Bundle's text and take four times as long.
    STRUCTURAL.lastIndex = j;
    if (!STRUCTURAL.test(text)) return text.length;
    const at = STRUCTURAL.lastIndex - 1;
    const c = text.charCodeAt(at);
    if (c === QUOTE) {
      j = endOfString(text, at);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (--depth === 0) return at + 1;
    j = at + 1;
  }
}
