import canonicalize from "canonicalize";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

/** Deeper than any FHIR resource; bounds recursion on input a client controls. */
export const MAX_JSON_DEPTH = 256;

/**
 * RFC 8785 (JCS) canonical JSON of a JSON value.
 *
 * `canonicalize` follows JSON.stringify and silently drops `undefined` members,
 * turns array holes into `null` and calls `toJSON`; a hash over such output would
 * not be the hash of what the caller meant, so anything that is not plain JSON data
 * (undefined, functions, symbols, bigint, non-finite numbers, lone surrogates, class
 * instances, cycles) is rejected with FhirLedgerError "invalid" naming the path.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson(value: unknown): string {
  assertPlainJson(value, "$", 0, new Set());
  try {
    const text = canonicalize(value);
    if (text === undefined) throw new Error("no JSON representation");
    return text;
  } catch (cause) {
    // Lone surrogates are the one thing the walk above leaves to `canonicalize`.
    throw new FhirLedgerError("invalid", "value has no canonical JSON form", { cause });
  }
}

function reject(path: string, what: string): never {
  throw new FhirLedgerError("invalid", `value has no canonical JSON form: ${what} at ${path}`, {
    issues: [{ type: "invalid", diagnostics: `${what} is not JSON`, expression: [path] }],
  });
}

function assertPlainJson(value: unknown, path: string, depth: number, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) reject(path, "non-finite number");
      return;
    case "object":
      break;
    default:
      reject(path, typeof value);
  }
  if (value === null) return;
  if (depth >= MAX_JSON_DEPTH) reject(path, "nesting deeper than " + MAX_JSON_DEPTH);
  if (seen.has(value)) reject(path, "circular reference");
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) reject(`${path}[${i}]`, "array hole");
      assertPlainJson(value[i], `${path}[${i}]`, depth + 1, seen);
    }
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) reject(path, "non-plain object");
    for (const [key, member] of Object.entries(value)) {
      assertPlainJson(member, `${path}.${key}`, depth + 1, seen);
    }
  }
  seen.delete(value);
}
