import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { markCarrier, numberText } from "../json/preciseJson.ts";

/** Deeper than any FHIR resource; bounds recursion on input a client controls. */
export const MAX_JSON_DEPTH = 256;

/**
 * RFC 8785 (JCS) canonical JSON of a JSON value, in one pass: members sorted by UTF-16 code
 * units, no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify does
 * (RFC 8785 sections 3.2.2 and 3.2.3 adopt exactly those rules) — except a number parsed
 * with parseJson from text JSON.stringify would change (a FHIR decimal such as 105.00): it
 * keeps that text, because in FHIR the precision is part of the value. Such a value is then
 * marked as carrying those texts, so responses built from it keep them too.
 *
 * JSON.stringify would silently drop `undefined` members, turn array holes into `null` and
 * call `toJSON`; a hash over such output would not be the hash of what the caller meant, so
 * anything that is not plain JSON data (undefined, functions, symbols, bigint, non-finite
 * numbers, lone surrogates, class instances, cycles, nesting deeper than MAX_JSON_DEPTH) is
 * rejected with FhirLedgerError "invalid" naming the path.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson(value: unknown): string {
  keptText = false;
  try {
    const text = write(value, 0);
    if (keptText && value !== null && typeof value === "object") markCarrier(value);
    return text;
  } catch (error) {
    if (!(error instanceof NotJson)) throw error;
    const path = "$" + error.path.reverse().join("");
    throw new FhirLedgerError("invalid", `value has no canonical JSON form: ${error.what} at ${path}`, {
      issues: [{ type: "invalid", diagnostics: `${error.what} is not JSON`, expression: [path] }],
    });
  }
}

/** Set when the current walk wrote a number as its source text. */
let keptText = false;

/** A member that is a number parsed from lossy text keeps that text. */
function writeMember(holder: object, key: string | number, member: unknown, depth: number): string {
  if (typeof member === "number") {
    const text = numberText(holder, String(key), member);
    if (text !== undefined) {
      keptText = true;
      return text;
    }
  }
  return write(member, depth);
}

/** Thrown inside the walk; each level on the way out adds its step to the path. */
class NotJson extends Error {
  readonly what: string;
  readonly path: string[] = [];
  constructor(what: string) {
    super(what);
    this.what = what;
  }
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new NotJson("lone surrogate");
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new NotJson("non-finite number");
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      throw new NotJson(typeof value);
  }
  if (value === null) return "null";
  // A cycle never ends, so it ends here too.
  if (depth >= MAX_JSON_DEPTH) throw new NotJson(`nesting deeper than ${MAX_JSON_DEPTH} (or a cycle)`);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      try {
        if (!(i in value)) throw new NotJson("array hole");
        out += (i === 0 ? "" : ",") + writeMember(value, i, value[i], depth + 1);
      } catch (error) {
        if (error instanceof NotJson) error.path.push(`[${i}]`);
        throw error;
      }
    }
    return out + "]";
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new NotJson("non-plain object");
  const keys = sortKeys(Object.keys(value));
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    try {
      out +=
        (i === 0 ? "" : ",") +
        quotedKey(key) +
        ":" +
        writeMember(value, key, (value as Record<string, unknown>)[key], depth + 1);
    } catch (error) {
      if (error instanceof NotJson) error.path.push(`.${key}`);
      throw error;
    }
  }
  return out + "}";
}

/**
 * Sorts an object's keys in place by UTF-16 code units, as Array.prototype.sort() does, but
 * by insertion for the few keys a FHIR object has: sort() allocated a work array per call, the
 * largest single source of garbage when sealing an import (half of canonicalJson's).
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 24) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/** Member names as JSON strings, for the element names FHIR repeats in every resource. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;
const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (!key.isWellFormed()) throw new NotJson("lone surrogate");
    quoted = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS && ELEMENT_NAME.test(key)) quotedKeys.set(key, quoted);
  }
  return quoted;
}
