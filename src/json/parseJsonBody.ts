import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { duplicateMemberPath, pathAtOffset } from "./jsonPathScan.ts";
import type { JsonPath } from "./jsonPathScan.ts";
import { parseJson } from "./preciseJson.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const UTF8_LOSSY = new TextDecoder("utf-8");

/**
 * A request body as a JSON value (numbers keep their text, see parseJson), or FhirLedgerError
 * "invalid" (400) when it is not UTF-8, empty, not JSON, or names a member twice in one object
 * (JSON.parse would keep the last silently). Issues name the element where one can be found.
 * @see https://hl7.org/fhir/R4/json.html
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw notUtf8(bytes);
  }
  if (text.trim() === "")
    throw new FhirLedgerError("invalid", "the body is empty", {
      issues: [{ type: "required", diagnostics: "a FHIR resource is required" }],
    });
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (cause) {
    throw new FhirLedgerError("invalid", `the body is not valid JSON: ${(cause as Error).message.slice(0, 200)}`, {
      issues: [{ type: "structure", diagnostics: "invalid JSON" }],
    });
  }
  const duplicate = duplicateMemberPath(text, value);
  if (duplicate !== undefined) {
    const name = String(duplicate.at(-1)).slice(0, 64);
    const message = `the body names the member '${name}' twice in one object`;
    throw new FhirLedgerError("invalid", message, {
      issues: [{ type: "structure", diagnostics: message, expression: [expression(value, duplicate)] }],
    });
  }
  return value;
}

/** The error for bytes that are not UTF-8, naming the byte and the element that holds it. */
function notUtf8(bytes: Uint8Array): FhirLedgerError {
  const offset = firstInvalidByte(bytes);
  const message = `the body is not valid UTF-8 (byte ${offset})`;
  // The element, from the text with U+FFFD for the bad bytes; usually still JSON when the bytes sit in a string.
  const lossy = UTF8_LOSSY.decode(bytes);
  let root: unknown;
  try {
    root = JSON.parse(lossy);
  } catch {
    root = undefined;
  }
  const path = pathAtOffset(lossy, UTF8_LOSSY.decode(bytes.subarray(0, offset)).length);
  return new FhirLedgerError("invalid", message, {
    issues: [
      { type: "structure", diagnostics: message, ...(path.length > 0 ? { expression: [expression(root, path)] } : {}) },
    ],
  });
}

/** Where the first byte that is not part of well-formed UTF-8 is (a U+FFFD the body really holds is fine). */
function firstInvalidByte(bytes: Uint8Array): number {
  const lossy = UTF8_LOSSY.decode(bytes);
  let byte = 0;
  let from = 0;
  for (let at = lossy.indexOf("\uFFFD"); at !== -1; at = lossy.indexOf("\uFFFD", at + 1)) {
    byte += Buffer.byteLength(lossy.slice(from, at));
    from = at + 1;
    if (bytes[byte] !== 0xef || bytes[byte + 1] !== 0xbf || bytes[byte + 2] !== 0xbd) return byte;
    byte += 3;
  }
  return bytes.length;
}

/** `Patient.name[0].family` for a resource (`Bundle.entry[2].resource.name` inside a Bundle), `$.a.b` otherwise. */
function expression(root: unknown, path: JsonPath): string {
  const type =
    root !== null && typeof root === "object" ? (root as { resourceType?: unknown }).resourceType : undefined;
  let out = typeof type === "string" && /^[A-Z][A-Za-z]{0,63}$/.test(type) ? type : "$";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : `.${step.slice(0, 64)}`;
  return out;
}
