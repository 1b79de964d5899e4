import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./jsonCharCodes.ts";

/**
 * Finding things JSON.parse hides, in a JSON text it has already accepted: a member name
 * written twice in one object (JSON.parse keeps the last; json.html forbids it), and the
 * element at a given offset (to name the element that holds a bad byte).
 */

/** Member names and array indexes from the root, e.g. ["name", 0, "family"]. */
export type JsonPath = (string | number)[];

/**
 * The path of the first member whose name its object already has, or undefined. `value` is
 * JSON.parse(text): when the text has as many member names as the parsed value has members,
 * none repeats, and only then is the text walked (slowly) to find which one does. The count
 * costs ~1.3 ms per MB (a regex over the text and a walk of the value), a sixth of parsing.
 */
export function duplicateMemberPath(text: string, value: unknown): JsonPath | undefined {
  if (countTextMembers(text) === countValueMembers(value)) return undefined;
  return scan(text, { stopAt: Infinity, duplicates: true });
}

/** The path of the value being written at `offset` (a UTF-16 index into `text`), as far as it goes. */
export function pathAtOffset(text: string, offset: number): JsonPath {
  return scan(text, { stopAt: offset, duplicates: false }) ?? [];
}

/** A JSON string token; in valid JSON, scanning from a token boundary finds each string whole. */
const STRING = /"[^"\\]*(?:\\[\s\S][^"\\]*)*"/g;

/** Member names in the text: strings followed by a colon. */
function countTextMembers(text: string): number {
  let n = 0;
  STRING.lastIndex = 0;
  // test, not exec: no match array per string (an import Bundle has millions).
  while (STRING.test(text)) {
    let i = STRING.lastIndex;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
    if (c === COLON) n++;
  }
  return n;
}

/** Members of every object in a parsed value; iterative, as JSON.parse takes 100k-deep arrays. */
function countValueMembers(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === "object") stack.push(item);
      continue;
    }
    for (const key in node) {
      n++;
      const item = (node as Record<string, unknown>)[key];
      if (item !== null && typeof item === "object") stack.push(item);
    }
  }
  return n;
}

interface Frame {
  /** member names seen so far (objects only) */
  names: Set<string> | undefined;
  /** the current member name or array index */
  at: string | number | undefined;
  expectName: boolean;
}

/** Walks the text token by token, tracking the path; stops at a repeated name or at `stopAt`. */
function scan(text: string, options: { stopAt: number; duplicates: boolean }): JsonPath | undefined {
  const frames: Frame[] = [];
  const path = () => frames.filter((f) => f.at !== undefined).map((f) => f.at!);
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    if (i >= options.stopAt) return path();
    const top = frames.at(-1);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      frames.push(
        c === OPEN_BRACE
          ? { names: new Set(), at: undefined, expectName: true }
          : { names: undefined, at: 0, expectName: false },
      );
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      frames.pop();
      i++;
    } else if (c === COMMA) {
      if (top?.names !== undefined) top.expectName = true;
      else if (top !== undefined) top.at = (top.at as number) + 1;
      i++;
    } else if (c === COLON) {
      i++;
    } else if (c === QUOTE) {
      STRING.lastIndex = i;
      if (!STRING.test(text)) return undefined; // not valid JSON: JSON.parse said so already
      const end = STRING.lastIndex;
      if (top?.names !== undefined && top.expectName) {
        const name = JSON.parse(text.slice(i, end)) as string;
        top.expectName = false;
        top.at = name;
        if (options.duplicates && top.names.has(name)) return path();
        top.names.add(name);
      }
      i = end;
    } else {
      while (i < text.length && !DELIMITERS.has(text.charCodeAt(i))) i++;
    }
  }
  return options.duplicates ? undefined : path();
}

const DELIMITERS = new Set([COMMA, CLOSE_BRACE, CLOSE_BRACKET, 0x20, 0x0a, 0x0d, 0x09]);
