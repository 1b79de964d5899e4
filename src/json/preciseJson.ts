/**
 * JSON numbers as the client wrote them. FHIR decimals carry their precision in their text
 * (105.00 is not 105; https://hl7.org/fhir/R4/datatypes.html#decimal), which JSON.parse
 * loses. Values stay plain JS numbers for validation and search; the text of every number
 * that JSON.stringify would write differently (1.50, 1e2, 0.30000000000000000001) is kept
 * beside its holder object, and the serialisers here and in canonicalJson write it back.
 * A number changed since parsing (its text no longer parses to it) is written the usual way.
 */

import { arrayItemSpans, memberValueStart } from "./memberText.ts";

/** holder object (or array) → member name (or index) → the number's source text */
const lexemes = new WeakMap<object, Map<string, string>>();
/** Roots of values known to hold such numbers somewhere below. */
const carriers = new WeakSet<object>();

/**
 * Cheap test for a number token that does not round-trip: a fraction ending in 0, an exponent
 * or -0, between JSON delimiters. Dates and times inside strings don't match (they are followed
 * by Z, +, - or a quote); a false hit only costs the slower parse. The closing delimiter is
 * looked ahead at, not consumed, so neighbours in an array ([1.0,2.0]) are found one by one.
 */
const LOSSY_SHAPE =
  /[:[,]\s*-?[0-9]+(?:\.[0-9]*0(?:[eE][+-]?[0-9]+)?|(?:\.[0-9]+)?[eE][+-]?[0-9]+)(?=\s*[,\]}])|[:[,]\s*-0(?=\s*[,\]}])/g;
/** Number tokens of 16 or more characters: lossy only when they hold more than a double does. */
const LONG_NUMBER = /(?<=[:[,]\s*)-?[0-9][0-9.]{15,}(?=\s*[,\]}])/g;

/** Offsets of number tokens that may not round-trip (in order); a false hit only costs a slower parse. */
function lossyOffsets(text: string): number[] {
  const offsets: number[] = [];
  for (const m of text.matchAll(LOSSY_SHAPE)) offsets.push(m.index);
  for (const m of text.matchAll(LONG_NUMBER)) {
    if (JSON.stringify(Number(m[0])) !== m[0]) offsets.push(m.index); // e.g. 9007199254740993, 0.10000000000000001
  }
  return offsets.sort((a, b) => a - b);
}

/** JSON.parse that remembers the text of numbers it would otherwise rewrite. */
export function parseJson(text: string): unknown {
  const offsets = lossyOffsets(text);
  if (offsets.length === 0) return JSON.parse(text);
  return parseBundleEntriesReviving(text, offsets) ?? parseReviving(text);
}

/**
 * A Bundle whose lossy numbers all sit inside entries is parsed plainly and only the entries
 * holding them are parsed again with the reviver: a reviver call per value made a whole import
 * Bundle (2,500 resources, a tenth of them with such numbers) five times slower to parse.
 * Same result as parseReviving; undefined when the text is not such a Bundle.
 */
function parseBundleEntriesReviving(text: string, offsets: number[]): unknown {
  const value = JSON.parse(text) as { entry?: unknown } | null;
  if (value === null || typeof value !== "object" || !Array.isArray(value.entry)) return undefined;
  const start = memberValueStart(text, "entry");
  if (start === undefined) return undefined;
  const items = arrayItemSpans(text, start);
  if (items.length !== value.entry.length) return undefined;
  const revive = new Set<number>();
  let k = 0;
  for (const offset of offsets) {
    while (k < items.length && items[k]![1] <= offset) k++;
    if (k === items.length || offset < items[k]![0]) return undefined; // outside every entry
    revive.add(k);
  }
  const revived = new Map<number, unknown>();
  for (const i of revive) {
    const entry = parseReviving(text.slice(items[i]![0], items[i]![1]));
    if (entry === null || typeof entry !== "object") return undefined; // a bare number's holder is the array
    // The same value as the plain parse gave (not so if, say, "entry" is in the text twice).
    if (JSON.stringify(entry) !== JSON.stringify(value.entry[i])) return undefined;
    revived.set(i, entry);
  }
  for (const [i, entry] of revived) value.entry[i] = entry;
  if ([...revived.values()].some((entry) => carriers.has(entry as object))) carriers.add(value);
  return value;
}

/** JSON.parse with a reviver that remembers every number whose text JSON.stringify would change. */
function parseReviving(text: string): unknown {
  let found = false;
  const value = JSON.parse(text, function (this: object, key: string, v: unknown, context?: { source?: string }) {
    if (typeof v === "number" && context?.source !== undefined && context.source !== JSON.stringify(v)) {
      rememberNumber(this, key, context.source);
      found = true;
    }
    return v;
  } as (key: string, value: unknown) => unknown) as unknown;
  if (found && value !== null && typeof value === "object") carriers.add(value);
  return value;
}

/** The source text of `holder[key]` when it was parsed from a lossy literal and is unchanged. */
export function numberText(holder: object, key: string, value: number): string | undefined {
  const text = lexemes.get(holder)?.get(key);
  return text !== undefined && Number(text) === value ? text : undefined;
}

function rememberNumber(holder: object, key: string, text: string): void {
  let map = lexemes.get(holder);
  if (!map) lexemes.set(holder, (map = new Map()));
  map.set(key, text);
}

/** A copy of an object (same members) keeps the number texts of the original's members. */
export function copyNumberTexts(from: object, to: object): void {
  const map = lexemes.get(from);
  if (map) lexemes.set(to, map);
  if (carriers.has(from)) carriers.add(to);
}

/** Notes that `root` holds remembered numbers (a value built from parsed parts). */
export function markCarrier(root: object): void {
  carriers.add(root);
}

/** Whether stringifyJson has number texts to keep in `value` (a resource, or a Bundle of them). */
function carriesNumberTexts(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (carriers.has(value)) return true;
  const entries =
    (value as { resourceType?: unknown; entry?: unknown }).resourceType === "Bundle"
      ? (value as { entry?: unknown }).entry
      : undefined;
  return (
    Array.isArray(entries) &&
    entries.some(
      (e) => e !== null && typeof e === "object" && carriers.has((e as { resource?: object }).resource ?? {}),
    )
  );
}

/** JSON.stringify that writes remembered numbers as they were written (plain stringify when there are none). */
export function stringifyJson(value: unknown, space?: number): string {
  if (!carriesNumberTexts(value)) return JSON.stringify(value, null, space);
  return JSON.stringify(
    value,
    function (this: object, key: string, v: unknown) {
      if (typeof v !== "number") return v;
      const text = numberText(this, key, v);
      return text === undefined ? v : rawJson(text);
    },
    space,
  );
}

/** JSON.rawJSON (ES2025; in Node 24, not yet in TypeScript's lib): a primitive written verbatim by JSON.stringify. */
export const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
