import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { MAX_PATCH_OPERATIONS } from "./applyJsonPatch.ts";
import { isKnownType, isPrimitiveType, typeOfSuffix } from "./elementModel.ts";

/**
 * A value to add, insert or replace: a `value[x]` (its type is the suffix, "Quantity", "Date"),
 * a `resource`, or an anonymous element built from nested parts (Observation.component,
 * Patient.contact), each part naming a child element.
 */
export type PatchValue =
  | { kind: "typed"; type: string; value: unknown; element?: Record<string, unknown> }
  | { kind: "resource"; value: Record<string, unknown> }
  | { kind: "parts"; parts: { name: string; value: PatchValue; at: string }[] };

interface Common {
  /** FHIRPath expression selecting where the operation applies. */
  path: string;
  /** FHIRPath of the operation inside the Parameters resource, for error issues. */
  at: string;
}

/** One FHIRPath Patch operation, checked for shape (not yet against a resource). */
export type FhirPathPatchOperation =
  | (Common & { type: "add"; name: string; value: PatchValue })
  | (Common & { type: "insert"; value: PatchValue; index: number })
  | (Common & { type: "delete" })
  | (Common & { type: "replace"; value: PatchValue })
  | (Common & { type: "move"; source: number; destination: number });

/** Longest path expression accepted. */
export const MAX_PATH_LENGTH = 1000;
/** Deepest nesting of parts in an anonymous value. */
export const MAX_VALUE_DEPTH = 16;

/** The parts each operation type takes; any other part is refused. */
const PARTS: Record<FhirPathPatchOperation["type"], readonly string[]> = {
  add: ["path", "name", "value"],
  insert: ["path", "value", "index"],
  delete: ["path"],
  replace: ["path", "value"],
  move: ["path", "source", "destination"],
};
/** A FHIR element name: what `name` and nested part names may be (no `_x`, no `__proto__`). */
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

type Json = Record<string, unknown>;

/**
 * Reads the operations of a FHIRPath Patch: a Parameters resource whose parameters are all
 * named `operation`, each with the parts its type needs (type, path, name, value, index,
 * source, destination) and no others. A malformed patch is a 400 ("invalid") whose issue
 * expression names the offending parameter or part.
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export function parseFhirPathPatch(body: unknown): FhirPathPatchOperation[] {
  if (!isObject(body) || body.resourceType !== "Parameters")
    throw malformed("a FHIRPath Patch is a Parameters resource", "Parameters");
  if (body.parameter === undefined) return [];
  if (!Array.isArray(body.parameter)) throw malformed("parameter must be an array", "Parameters.parameter");
  if (body.parameter.length > MAX_PATCH_OPERATIONS)
    throw new FhirLedgerError("too-large", `a patch may hold at most ${MAX_PATCH_OPERATIONS} operations`);
  return body.parameter.map((raw, i) => parseOperation(raw, `Parameters.parameter[${i}]`));
}

function parseOperation(raw: unknown, at: string): FhirPathPatchOperation {
  if (!isObject(raw)) throw malformed("each parameter must be an object", at);
  if (raw.name !== "operation") throw malformed(`each parameter must be named "operation"`, `${at}.name`);
  if (!Array.isArray(raw.part) || raw.part.length === 0)
    throw malformed("an operation needs parts (type, path, …)", `${at}.part`);
  if (valueKeys(raw).length > 0 || raw.resource !== undefined)
    throw malformed("an operation carries its values in parts, not in value[x] or resource", at);
  const parts = new Map<string, { part: Json; at: string }>();
  raw.part.forEach((part, j) => {
    const partAt = `${at}.part[${j}]`;
    if (!isObject(part) || typeof part.name !== "string")
      throw malformed("each part must be an object with a name", partAt);
    if (parts.has(part.name)) throw malformed(`part "${part.name.slice(0, 40)}" is given twice`, partAt);
    parts.set(part.name, { part, at: partAt });
  });
  const type = primitive(parts, "type", "Code", at);
  if (typeof type !== "string" || !Object.hasOwn(PARTS, type))
    throw malformed(`type must be one of ${Object.keys(PARTS).join(", ")}`, parts.get("type")!.at);
  const op = type as FhirPathPatchOperation["type"];
  for (const [name, { at: partAt }] of parts) {
    if (name !== "type" && !PARTS[op].includes(name))
      throw malformed(`a ${op} operation takes no "${name.slice(0, 40)}" part`, partAt);
  }
  const path = primitive(parts, "path", "String", at);
  if (typeof path !== "string" || path.trim() === "")
    throw malformed("path must be a non-empty string", parts.get("path")!.at);
  if (path.length > MAX_PATH_LENGTH)
    throw malformed(`path is longer than ${MAX_PATH_LENGTH} characters`, parts.get("path")!.at);
  const common = { path, at };
  switch (op) {
    case "add": {
      const name = primitive(parts, "name", "String", at);
      if (typeof name !== "string" || !ELEMENT_NAME.test(name))
        throw malformed("name must be an element name such as birthDate", parts.get("name")!.at);
      return { ...common, type: op, name, value: valuePart(parts, at) };
    }
    case "insert":
      return { ...common, type: op, value: valuePart(parts, at), index: integer(parts, "index", at) };
    case "delete":
      return { ...common, type: op };
    case "replace":
      return { ...common, type: op, value: valuePart(parts, at) };
    case "move":
      return {
        ...common,
        type: op,
        source: integer(parts, "source", at),
        destination: integer(parts, "destination", at),
      };
  }
}

/** The value of a required part that must carry `value<type>`. */
function primitive(parts: Map<string, { part: Json; at: string }>, name: string, type: string, at: string): unknown {
  const entry = parts.get(name);
  if (!entry) throw malformed(`the operation needs a "${name}" part`, `${at}.part`);
  if (!Object.hasOwn(entry.part, `value${type}`)) throw malformed(`part "${name}" must carry value${type}`, entry.at);
  return entry.part[`value${type}`];
}

function integer(parts: Map<string, { part: Json; at: string }>, name: string, at: string): number {
  const value = primitive(parts, name, "Integer", at);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw malformed(`${name} must be a non-negative integer`, parts.get(name)!.at);
  return value;
}

function valuePart(parts: Map<string, { part: Json; at: string }>, at: string): PatchValue {
  const entry = parts.get("value");
  if (!entry) throw malformed(`the operation needs a "value" part`, `${at}.part`);
  return readValue(entry.part, entry.at, 0);
}

/** One of value[x] (with its `_value[x]` for a primitive), resource, or nested parts. */
function readValue(part: Json, at: string, depth: number): PatchValue {
  if (part.modifierExtension !== undefined) throw malformed("modifierExtension is not supported in a patch", at);
  const keys = valueKeys(part);
  const given = keys.length + (part.resource === undefined ? 0 : 1) + (part.part === undefined ? 0 : 1);
  if (given !== 1) throw malformed("a value needs exactly one of value[x], resource or part", at);
  if (keys.length === 1) {
    const key = keys[0]!;
    const type = key.slice("value".length);
    if (!isKnownType(type)) throw malformed(`${key.slice(0, 60)} is not a FHIR data type`, at);
    const value = part[key];
    if (value === null || value === undefined) throw malformed(`${key} must not be null`, at);
    const element = part[`_${key}`];
    if (element !== undefined && (!isObject(element) || !isPrimitiveType(typeOfSuffix(type))))
      throw malformed(`_${key} must be an object, and only a primitive value has one`, at);
    return { kind: "typed", type, value, ...(element === undefined ? {} : { element }) };
  }
  if (part.resource !== undefined) {
    if (!isObject(part.resource) || typeof part.resource.resourceType !== "string")
      throw malformed("resource must be a FHIR resource", `${at}.resource`);
    return { kind: "resource", value: part.resource };
  }
  if (depth >= MAX_VALUE_DEPTH) throw malformed(`parts are nested more than ${MAX_VALUE_DEPTH} deep`, at);
  if (!Array.isArray(part.part) || part.part.length === 0)
    throw malformed("part must be a non-empty array", `${at}.part`);
  return {
    kind: "parts",
    parts: part.part.map((child, k) => {
      const childAt = `${at}.part[${k}]`;
      if (!isObject(child) || typeof child.name !== "string" || !ELEMENT_NAME.test(child.name))
        throw malformed("each part of a value must be an object named after an element", childAt);
      return { name: child.name, value: readValue(child, childAt, depth + 1), at: childAt };
    }),
  };
}

function valueKeys(part: Json): string[] {
  return Object.keys(part).filter((k) => /^value[A-Z]/.test(k));
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function malformed(message: string, expression: string): FhirLedgerError {
  return new FhirLedgerError("invalid", `malformed FHIRPath Patch: ${message}`, {
    issues: [{ type: "invalid", diagnostics: message, expression: [expression] }],
  });
}
