import type { R4Schema } from "../definitions/loadR4Schema.ts";
import type { CheckedPrimitive } from "./primitiveProblem.ts";

type Schema = Record<string, unknown>;

/** Schema definition name → the check primitiveProblem makes for it. */
const CHECKS: Record<string, CheckedPrimitive> = {
  integer: "integer",
  positiveInt: "positiveInt",
  unsignedInt: "unsignedInt",
  decimal: "decimal",
  date: "date",
  dateTime: "dateTime",
  instant: "instant",
  // The schema lets these be "" (^\S*$, or no pattern at all).
  uri: "nonEmpty",
  url: "nonEmpty",
  canonical: "nonEmpty",
  base64Binary: "nonEmpty",
  xhtml: "xhtml",
};

/**
 * Returns the definitions with the rules of R4's JSON format that the published schema leaves
 * out, as keywords ajv runs in its one pass over the resource (copying only what changes):
 *
 * - `fhirPrimitive: <check>` on the primitive definitions above, and on the properties that
 *   inline them instead of a `$ref` (the choices, e.g. `valueInteger`, recognised by the
 *   definition's pattern, which they repeat): see primitiveProblem;
 * - `minItems: 1` on every array: "arrays SHALL not be empty" (`name: []`);
 * - `minProperties: 1` on every complex type and resource: an element has a value or children,
 *   so `{}` is invalid anywhere (`contact: [{}]`, `_birthDate: {}`).
 *
 * Run after patchR4Schema (the patterns compared here are the patched ones).
 * @see https://hl7.org/fhir/R4/json.html
 */
export function addJsonRules(definitions: R4Schema["definitions"]): R4Schema["definitions"] {
  const byPattern = new Map<string, CheckedPrimitive>();
  for (const [name, check] of Object.entries(CHECKS)) {
    const pattern = definitions[name]?.pattern;
    if (typeof pattern === "string") byPattern.set(pattern, check);
  }
  const inlined = (schema: Schema): Schema => {
    const check =
      typeof schema.pattern === "string" && schema.$ref === undefined ? byPattern.get(schema.pattern) : undefined;
    return check === undefined ? schema : { ...schema, fhirPrimitive: check };
  };
  const patched: R4Schema["definitions"] = { ...definitions };
  for (const [name, definition] of Object.entries(definitions)) {
    const check = CHECKS[name];
    if (check !== undefined) {
      patched[name] = { ...definition, fhirPrimitive: check };
      continue;
    }
    const properties = definition.properties as Record<string, Schema> | undefined;
    if (properties === undefined) continue;
    const copy: Record<string, Schema> = {};
    for (const [property, schema] of Object.entries(properties)) {
      if (schema.type === "array") {
        const items = schema.items as Schema | undefined;
        copy[property] = { ...schema, minItems: 1, ...(items === undefined ? {} : { items: inlined(items) }) };
      } else {
        copy[property] = inlined(schema);
      }
    }
    patched[name] = { ...definition, properties: copy, minProperties: 1 };
  }
  return patched;
}
