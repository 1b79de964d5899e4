import { loadR4Schema } from "../definitions/loadR4Schema.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";

/** What the R4 JSON schema says about one JSON property of a definition. */
export interface PropertyInfo {
  /** 0..* in FHIR: a JSON array. */
  repeating: boolean;
  /**
   * The schema definition of the value: a data type ("HumanName", "date"), a backbone element
   * ("Patient_Contact"), "Resource" for any resource (contained), undefined when not typed.
   */
  type: string | undefined;
}

interface PropertySchema {
  $ref?: string;
  type?: string;
  items?: { $ref?: string };
}

const PRIMITIVES = new Set([
  "boolean",
  "integer",
  "string",
  "decimal",
  "uri",
  "url",
  "canonical",
  "base64Binary",
  "instant",
  "date",
  "dateTime",
  "time",
  "code",
  "oid",
  "id",
  "markdown",
  "unsignedInt",
  "positiveInt",
  "uuid",
  "xhtml",
]);
/** Quantity and its profiles: one may stand for another (the validator checks the details). */
const QUANTITIES = new Set(["Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"]);
/** Choice suffixes of primitive types, longest first ("DateTime" before "Time"). */
const PRIMITIVE_SUFFIXES = [...PRIMITIVES].map(upperFirst).sort((a, b) => b.length - a.length);

function properties(definition: string | undefined): Record<string, PropertySchema> | undefined {
  if (definition === undefined) return undefined;
  const definitions = loadR4Schema().definitions;
  if (!Object.hasOwn(definitions, definition)) return undefined;
  return definitions[definition]!.properties as Record<string, PropertySchema> | undefined;
}

/**
 * The schema's view of `key` in `definition` ("Patient", "HumanName", "Patient_Contact",
 * "Element" for the `_x` companion of a primitive); undefined when there is no such property.
 * @see https://hl7.org/fhir/R4/json.html
 */
export function propertyInfo(definition: string | undefined, key: string): PropertyInfo | undefined {
  const props = properties(definition);
  if (props === undefined || !Object.hasOwn(props, key)) return undefined;
  const prop = props[key]!;
  const repeating = prop.type === "array";
  const ref = (repeating ? prop.items?.$ref : prop.$ref)?.replace("#/definitions/", "");
  if (ref === "ResourceList") return { repeating, type: "Resource" };
  if (ref !== undefined) return { repeating, type: ref };
  // Choice variants of primitive types are inlined (valueString: {type: "string", pattern}).
  const suffix = PRIMITIVE_SUFFIXES.find((s) => key.length > s.length && key.endsWith(s));
  return { repeating, type: suffix === undefined ? undefined : lowerFirst(suffix) };
}

/**
 * The JSON keys of choice element `name[x]` in `definition` ("deceasedBoolean", …): `name`
 * followed by a type name. Empty when `name` is not a choice ("answer" is not one, though
 * Questionnaire.item has answerOption and answerValueSet).
 */
export function choiceVariants(definition: string | undefined, name: string): string[] {
  const props = properties(definition);
  if (props === undefined || Object.hasOwn(props, name)) return [];
  return Object.keys(props).filter(
    (k) =>
      k.length > name.length &&
      k.startsWith(name) &&
      /[A-Z]/.test(k[name.length]!) &&
      isKnownType(k.slice(name.length)),
  );
}

/** The FHIR type a `value[x]` suffix names: "DateTime" → "dateTime", "Quantity" → "Quantity". */
export function typeOfSuffix(suffix: string): string {
  return PRIMITIVES.has(lowerFirst(suffix)) ? lowerFirst(suffix) : suffix;
}

/** True when `suffix` (as in value[x]) names an R4 data type (not a resource, not a backbone element). */
export function isKnownType(suffix: string): boolean {
  const type = typeOfSuffix(suffix);
  return (
    PRIMITIVES.has(type) || (/^[A-Z][A-Za-z]*$/.test(type) && !isResourceType(type) && properties(type) !== undefined)
  );
}

/** True for the R4 primitive types ("date", "code", …), whose JSON is a string, number or boolean. */
export function isPrimitiveType(type: string): boolean {
  return PRIMITIVES.has(type);
}

/**
 * Whether a value of type `given` may be written where the schema expects `expected`.
 * Primitives are interchangeable here (their JSON is alike; the validator checks formats);
 * complex types must match, Quantity profiles standing for one another.
 */
export function typeFits(expected: string | undefined, given: string): boolean {
  if (expected === undefined) return true;
  if (PRIMITIVES.has(expected)) return PRIMITIVES.has(given);
  return expected === given || (QUANTITIES.has(expected) && QUANTITIES.has(given));
}

/**
 * Records in `into` the schema definition of every object in `value`, itself of `definition`
 * (a resource: its resourceType; a contained resource is its own resourceType; `_x`
 * companions are "Element"; objects the schema does not know map to undefined). The map also
 * says which objects belong to the resource at all.
 */
export function describeObjects(
  value: unknown,
  definition: string | undefined,
  into = new Map<object, string | undefined>(),
): Map<object, string | undefined> {
  const map = into;
  const stack: [unknown, string | undefined][] = [[value, definition]];
  while (stack.length > 0) {
    const [value, definition] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, definition]);
      continue;
    }
    const object = value as Record<string, unknown>;
    const own = definition === "Resource" && typeof object.resourceType === "string" ? object.resourceType : definition;
    map.set(object, own);
    for (const [key, child] of Object.entries(object)) {
      if (child !== null && typeof child === "object")
        stack.push([child, key.startsWith("_") ? "Element" : propertyInfo(own, key)?.type]);
    }
  }
  return map;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
