import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { copyJson } from "../bundles/rewriteReferences.ts";
import {
  ensureCompanion,
  insertElement,
  moveElement,
  pruneEmpty,
  removeElement,
  setElement,
  valueAt,
} from "./editElements.ts";
import {
  choiceVariants,
  describeObjects,
  isPrimitiveType,
  propertyInfo,
  typeFits,
  typeOfSuffix,
} from "./elementModel.ts";
import type { PropertyInfo } from "./elementModel.ts";
import { parseFhirPathPatch } from "./parseFhirPathPatch.ts";
import type { FhirPathPatchOperation, PatchValue } from "./parseFhirPathPatch.ts";
import { parsePatchPath, selectPatchTargets } from "./selectPatchTargets.ts";
import type { PatchPath, PatchTarget } from "./selectPatchTargets.ts";

/**
 * Most work one FHIRPath Patch may cost, counted as path steps × objects of the resource: each
 * step may visit every element, on the event loop (this bound is under a second on a small
 * shared machine). A typical resource still takes MAX_PATCH_OPERATIONS; a large one takes fewer.
 */
export const MAX_PATCH_COST = 1_500_000;

type Json = Record<string, unknown>;
/** The schema definition of every object of the document being patched (see describeObjects). */
type Objects = Map<object, string | undefined>;

/**
 * Applies a FHIRPath Patch (a Parameters resource) to a copy of `resource` and returns the copy.
 * A malformed patch or a path this server does not evaluate is a 400 ("invalid"), checked for
 * every operation before any is applied; a patch that does not fit the resource (a path that
 * must match one element and matches none or several, an index out of range, a value of the
 * wrong type, adding to an element that already has a value) is a 422 ("unprocessable").
 * Deleting what is not there is not an error. The issue expression names the operation.
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export function applyFhirPathPatch<T>(resource: T, patch: unknown): T {
  const operations = parseFhirPathPatch(patch);
  const paths = operations.map((op) => {
    const path = parsePatchPath(op.path, op.at);
    if ((op.type === "insert" || op.type === "move") && path.list === undefined) {
      throw new FhirLedgerError(
        "invalid",
        "unsupported FHIRPath Patch path: the path of an insert or move must end with the name of a list, e.g. Patient.identifier",
        {
          issues: [
            {
              type: "not-supported",
              diagnostics: "insert and move paths end with the list's element name",
              expression: [op.at],
            },
          ],
        },
      );
    }
    return path;
  });
  const document = copyJson(resource) as Json;
  // Described once, then kept up to date with what each operation writes: walking the whole
  // resource again for each of up to 1000 operations would cost too much.
  const objects = describeObjects(document, String(document.resourceType));
  const steps = paths.reduce((sum, path) => sum + path.steps, 0);
  if (steps * objects.size > MAX_PATCH_COST) {
    const message = `the patch's paths take ${steps} steps; on a resource this large at most ${Math.floor(MAX_PATCH_COST / objects.size)} are allowed: send fewer or simpler operations`;
    throw new FhirLedgerError("too-large", `the FHIRPath Patch costs too much: ${message}`, {
      issues: [{ type: "too-costly", diagnostics: message, expression: ["Parameters.parameter"] }],
    });
  }
  operations.forEach((op, i) => applyOperation(document, op, paths[i]!, objects));
  return document as T;
}

function applyOperation(document: Json, op: FhirPathPatchOperation, path: PatchPath, objects: Objects): void {
  const select = (expression: string) => selectPatchTargets(document, expression, objects, op.at);
  switch (op.type) {
    case "delete": {
      const targets = select(path.expression);
      if (targets.length === 0) return;
      const target = one(targets, op, "delete");
      if (target.kind === "resource") throw unfit("delete can't remove the resource itself", op.at);
      removeElement(target.ref);
      pruneEmpty(target.ref);
      return;
    }
    case "replace": {
      const target = one(select(path.expression), op, "replace");
      if (target.kind === "resource") throw unfit("replace can't replace the resource itself", op.at);
      const { ref } = target;
      const definition = objects.get(ref.container);
      let key = ref.key;
      // A choice element may change type: valueString replaced by a Quantity becomes valueQuantity.
      if (ref.key !== ref.name && op.value.kind === "typed") {
        key = ref.name + op.value.type;
        if (!choiceVariants(definition, ref.name).includes(key))
          throw unfit(`${ref.name}[x] does not allow type ${op.value.type}`, op.at);
      }
      const type = propertyInfo(definition, key)?.type;
      const { json, element } = described(materialize(op.value, type, op.at), type, objects);
      if (key === ref.key) {
        setElement(ref, json, element);
      } else {
        removeElement(ref);
        setElement({ container: ref.container, key, index: undefined }, json, element);
      }
      return;
    }
    case "add": {
      const target = one(select(path.expression), op, "add");
      const content = contentOf(document, target, objects);
      const { key, info, variants } = resolveChild(content.definition, op.name, op.value, op.at);
      const { json, element } = described(materialize(op.value, info.type, op.at), info.type, objects);
      const container = content.get();
      if (info.repeating) {
        const list = container[key];
        insertElement(container, key, Array.isArray(list) ? list.length : 0, json, element);
      } else if (variants.some((k) => Object.hasOwn(container, k) || Object.hasOwn(container, `_${k}`))) {
        throw unfit(`${op.name} already has a value and does not repeat; use replace`, op.at);
      } else {
        setElement({ container, key, index: undefined }, json, element);
      }
      return;
    }
    case "insert":
    case "move": {
      const { owner, name } = path.list!;
      const target =
        owner === undefined
          ? ({ kind: "resource" } as const)
          : one(select(owner), op, op.type, `the element holding ${name} (${owner.slice(0, 200)})`);
      const content = contentOf(document, target, objects);
      const info = propertyInfo(content.definition, name);
      if (info === undefined) throw unfit(`${content.definition ?? "the element"} has no element "${name}"`, op.at);
      if (!info.repeating) throw unfit(`${name} is not a list`, op.at);
      const existing = content.peek()?.[name];
      const length = Array.isArray(existing) ? existing.length : 0;
      if (op.type === "insert") {
        if (op.index > length) throw unfit(`index ${op.index} is out of range: ${name} has ${length} elements`, op.at);
        const { json, element } = described(materialize(op.value, info.type, op.at), info.type, objects);
        insertElement(content.get(), name, op.index, json, element);
      } else {
        if (op.source >= length || op.destination >= length)
          throw unfit(`source and destination must be below ${length}, the length of ${name}`, op.at);
        moveElement(content.get(), name, op.source, op.destination);
      }
      return;
    }
  }
}

/** Exactly one target, or a 422 saying how many there were. */
function one(
  targets: PatchTarget[],
  op: FhirPathPatchOperation,
  verb: string,
  what = `the path ${op.path.slice(0, 200)}`,
): PatchTarget {
  if (targets.length === 1) return targets[0]!;
  throw unfit(
    targets.length === 0
      ? `${what} matches no element`
      : `${what} matches ${targets.length} elements; ${verb} needs exactly one`,
    op.at,
  );
}

/**
 * Where a target's children live, and the schema definition that says what they may be: the
 * target object itself, or for a primitive its `_x` companion (created only when written to).
 */
function contentOf(
  document: Json,
  target: PatchTarget,
  objects: Objects,
): { definition: string | undefined; peek: () => Json | undefined; get: () => Json } {
  if (target.kind === "resource")
    return { definition: objects.get(document), peek: () => document, get: () => document };
  const value = valueAt(target.ref);
  if (isObject(value)) return { definition: objects.get(value), peek: () => value, get: () => value };
  const companion = () => {
    const c = target.ref.container[`_${target.ref.key}`];
    const v = target.ref.index === undefined ? c : Array.isArray(c) ? c[target.ref.index] : undefined;
    return isObject(v) ? v : undefined;
  };
  const get = () => {
    const created = ensureCompanion(target.ref);
    objects.set(created, "Element");
    return created;
  };
  return { definition: "Element", peek: companion, get };
}

/** Records the objects of a value about to be written, so later operations may select them. */
function described(
  value: { json: unknown; element?: Json },
  type: string | undefined,
  objects: Objects,
): { json: unknown; element?: Json } {
  describeObjects(value.json, type, objects);
  if (value.element !== undefined) describeObjects(value.element, "Element", objects);
  return value;
}

/** The JSON key of child `name` of `definition` (a choice takes the value's type), its schema and its choice siblings. */
function resolveChild(
  definition: string | undefined,
  name: string,
  value: PatchValue,
  at: string,
): { key: string; info: PropertyInfo; variants: string[] } {
  const info = propertyInfo(definition, name);
  if (info !== undefined) return { key: name, info, variants: siblingsOf(definition, name) };
  const variants = choiceVariants(definition, name);
  if (variants.length === 0) throw unfit(`${definition ?? "the element"} has no element "${name}"`, at);
  if (value.kind !== "typed")
    throw unfit(`${name}[x] is a choice: give its value as value[x], so that its type is known`, at);
  const key = name + value.type;
  if (!variants.includes(key)) throw unfit(`${name}[x] does not allow type ${value.type}`, at);
  return { key, info: propertyInfo(definition, key)!, variants };
}

/** The variants of the choice `key` belongs to (deceasedBoolean → deceasedBoolean, deceasedDateTime), or just `key`. */
function siblingsOf(definition: string | undefined, key: string): string[] {
  for (let i = 1; i < key.length; i++) {
    if (!/[A-Z]/.test(key[i]!)) continue;
    const variants = choiceVariants(definition, key.slice(0, i));
    if (variants.includes(key)) return variants;
  }
  return [key];
}

/**
 * Turns a patch value into the JSON to write where the schema expects `expected`, refusing a
 * value of the wrong type (422). Parts build an anonymous element child by child; a part
 * naming a list may appear several times.
 */
function materialize(value: PatchValue, expected: string | undefined, at: string): { json: unknown; element?: Json } {
  switch (value.kind) {
    case "typed": {
      const type = typeOfSuffix(value.type);
      if (expected === "Resource" || !typeFits(expected, type))
        throw unfit(`a ${type} value can't go where ${describe(expected)} is expected`, at);
      return value.element === undefined
        ? { json: copyJson(value.value) }
        : { json: copyJson(value.value), element: copyJson(value.element) };
    }
    case "resource":
      if (expected !== undefined && expected !== "Resource")
        throw unfit(`a resource can't go where ${describe(expected)} is expected`, at);
      return { json: copyJson(value.value) };
    case "parts": {
      if (expected === undefined || expected === "Resource" || isPrimitiveType(expected))
        throw unfit(`an element built from parts can't go where ${describe(expected)} is expected`, at);
      const object: Json = {};
      for (const part of value.parts) {
        const { key, info } = resolveChild(expected, part.name, part.value, part.at);
        const child = materialize(part.value, info.type, part.at);
        if (info.repeating) {
          const list = object[key];
          insertElement(object, key, Array.isArray(list) ? list.length : 0, child.json, child.element);
        } else if (Object.hasOwn(object, key)) {
          throw unfit(`${part.name} is given twice but holds one value`, part.at);
        } else {
          setElement({ container: object, key, index: undefined }, child.json, child.element);
        }
      }
      return { json: object };
    }
  }
}

function describe(type: string | undefined): string {
  if (type === undefined) return "an untyped element";
  if (type === "Resource") return "a resource";
  return `a ${type.replace(/^[A-Za-z]+_/, "backbone element ")}`;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function unfit(message: string, at: string): FhirLedgerError {
  return new FhirLedgerError("unprocessable", `the FHIRPath Patch can't be applied: ${message}`, {
    issues: [{ type: "processing", diagnostics: message, expression: [at] }],
  });
}
