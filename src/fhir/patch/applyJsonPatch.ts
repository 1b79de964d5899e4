import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { copyJson } from "../bundles/rewriteReferences.ts";

/** Most operations one patch may hold. */
export const MAX_PATCH_OPERATIONS = 1000;

type Json = unknown;
type Container = Record<string, Json> | Json[];
const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/**
 * Applies an RFC 6902 JSON Patch to a copy of `document` and returns the copy.
 * A malformed patch (not an array of operations, unknown op, bad pointer syntax) is a 400
 * ("bad-request"); a patch that is well formed but can't be applied to this document (a failed
 * `test`, a path that does not exist) is a 422 ("unprocessable", RFC 5789 §2.2).
 * @see https://www.rfc-editor.org/rfc/rfc6902
 */
export function applyJsonPatch<T>(document: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw malformed("a JSON Patch is a JSON array of operations");
  if (patch.length > MAX_PATCH_OPERATIONS)
    throw new FhirLedgerError("too-large", `a patch may hold at most ${MAX_PATCH_OPERATIONS} operations`);
  let doc: Json = copyJson(document);
  patch.forEach((raw, i) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      throw malformed(`operation ${i} is not an object`);
    const op = raw as Record<string, unknown>;
    if (typeof op.op !== "string" || !OPS.has(op.op))
      throw malformed(`operation ${i}: op must be one of ${[...OPS].join(", ")}`);
    const path = parsePointer(op.path, i, "path");
    const needsValue = op.op === "add" || op.op === "replace" || op.op === "test";
    if (needsValue && !Object.hasOwn(op, "value")) throw malformed(`operation ${i} (${op.op}) needs a value`);
    const from = op.op === "move" || op.op === "copy" ? parsePointer(op.from, i, "from") : [];
    const where = `operation ${i} (${op.op} ${String(op.path).slice(0, 200)})`;
    switch (op.op) {
      case "add":
        doc = add(doc, path, copyJson(op.value), where);
        break;
      case "remove":
        doc = remove(doc, path, where).doc;
        break;
      case "replace":
        doc = add(remove(doc, path, where).doc, path, copyJson(op.value), where);
        break;
      case "move": {
        if (from.length < path.length && from.every((t, k) => t === path[k]))
          throw unprocessable(`${where}: can't move a value into itself`);
        const removed = remove(doc, from, where);
        doc = add(removed.doc, path, removed.value, where);
        break;
      }
      case "copy":
        doc = add(doc, path, copyJson(get(doc, from, where)), where);
        break;
      case "test":
        if (!testEqual(get(doc, path, where), op.value))
          throw unprocessable(`${where}: test failed, the value differs`);
        break;
    }
  });
  return doc as T;
}

/** RFC 6901: "" is the whole document, otherwise "/"-separated tokens with ~1 → / and ~0 → ~. */
function parsePointer(pointer: unknown, i: number, field: string): string[] {
  if (typeof pointer !== "string") throw malformed(`operation ${i}: ${field} must be a JSON Pointer string`);
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw malformed(`operation ${i}: ${field} must be "" or start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw malformed(`operation ${i}: ${field} has a bad ~ escape`);
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

function arrayIndex(array: Json[], token: string, forAdd: boolean, where: string): number {
  if (forAdd && token === "-") return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw unprocessable(`${where}: "${token.slice(0, 40)}" is not an array index`);
  const index = Number(token);
  if (index > array.length || (!forAdd && index === array.length))
    throw unprocessable(`${where}: index ${index} is out of bounds`);
  return index;
}

function isContainer(value: Json): value is Container {
  return value !== null && typeof value === "object";
}

/** The container holding the last token of `path`. */
function parentOf(doc: Json, path: string[], where: string): Container {
  const parent = get(doc, path.slice(0, -1), where);
  if (!isContainer(parent)) throw unprocessable(`${where}: the parent is not an object or array`);
  return parent;
}

function get(doc: Json, path: string[], where: string): Json {
  let node = doc;
  for (const token of path) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, false, where)];
    else if (isContainer(node) && Object.hasOwn(node, token)) node = (node as Record<string, Json>)[token];
    else throw unprocessable(`${where}: the path does not exist`);
  }
  return node;
}

function add(doc: Json, path: string[], value: Json, where: string): Json {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, where);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true, where), 0, value);
  else setOwn(parent, token, value);
  return doc;
}

function remove(doc: Json, path: string[], where: string): { doc: Json; value: Json } {
  if (path.length === 0) return { doc: null, value: doc };
  const parent = parentOf(doc, path, where);
  const token = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const [value] = parent.splice(arrayIndex(parent, token, false, where), 1);
    return { doc, value };
  }
  if (!Object.hasOwn(parent, token)) throw unprocessable(`${where}: the path does not exist`);
  const value = parent[token];
  delete parent[token];
  return { doc, value };
}

/** Defines an own property, so a key such as "__proto__" is data, never a prototype change. */
function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** jsonEqual recurses: a value nested too deeply to compare is refused, never a 500. */
function testEqual(a: Json, b: Json): boolean {
  try {
    return jsonEqual(a, b);
  } catch (error) {
    if (error instanceof RangeError) throw malformed("the test value is nested too deeply");
    throw error;
  }
}

/** JSON equality: same type, numbers by value, objects regardless of key order. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isContainer(a) && isContainer(b) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]))
    );
  }
  return false;
}

function malformed(message: string): FhirLedgerError {
  return new FhirLedgerError("bad-request", `malformed JSON Patch: ${message}`, {
    issues: [{ type: "invalid", diagnostics: message }],
  });
}

function unprocessable(message: string): FhirLedgerError {
  return new FhirLedgerError("unprocessable", `the JSON Patch can't be applied: ${message}`, {
    issues: [{ type: "processing", diagnostics: message }],
  });
}
