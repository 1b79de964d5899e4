import type { R4Schema } from "../definitions/loadR4Schema.ts";

type Definition = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

/**
 * Returns the schema's definitions with three known defects of the published R4 (4.0.1)
 * fhir.schema.json fixed, copying only what changes (the parsed schema is shared):
 *
 * - the regexes were written for Java, where `\s` is ASCII whitespace only; in JavaScript
 *   `\S` also excludes e.g. U+00A0, so legal strings with a no-break space are rejected; and
 *   they let through the control characters datatypes.html forbids in every string (below
 *   U+0020 but tab, LF and CR: `"family": "a\u0000b"`);
 *
 * - the FHIRVersion enums (CapabilityStatement, StructureDefinition, ImplementationGuide) stop at
 *   "4.0.0", so R4's own "4.0.1" (our CapabilityStatement, 643 official examples) fails;
 * - the 72 `canonical` elements lack their `_element` sibling, so a canonical carrying an
 *   extension (legal JSON representation of a primitive) is rejected as unknown.
 *
 * @see https://hl7.org/fhir/R4/json.html#primitive
 */
export function patchR4Schema(definitions: R4Schema["definitions"]): R4Schema["definitions"] {
  const patched: R4Schema["definitions"] = { ...definitions };
  for (const [name, definition] of Object.entries(definitions) as [string, Definition][]) {
    const properties = definition.properties;
    if (typeof definition.pattern === "string")
      patched[name] = { ...definition, pattern: fhirCharacterClasses(definition.pattern) };
    if (properties === undefined) continue;
    let copy: Record<string, Record<string, unknown>> | undefined;
    const edit = () => (copy ??= { ...properties });
    for (const [property, schema] of Object.entries(properties)) {
      if (typeof schema.pattern === "string")
        edit()[property] = { ...schema, pattern: fhirCharacterClasses(schema.pattern) };
      const items = schema.items as { $ref?: string; enum?: unknown[] } | undefined;
      if (lacksR4Version(schema.enum))
        edit()[property] = { ...edit()[property], enum: [...(schema.enum as unknown[]), "4.0.1"] };
      if (lacksR4Version(items?.enum))
        edit()[property] = { ...edit()[property], items: { ...items, enum: [...(items?.enum ?? []), "4.0.1"] } };
      const isCanonical = schema.$ref === "#/definitions/canonical" || items?.$ref === "#/definitions/canonical";
      if (isCanonical && properties[`_${property}`] === undefined) {
        const element = { $ref: "#/definitions/Element" };
        edit()[`_${property}`] = items === undefined ? element : { type: "array", items: element };
      }
    }
    if (copy !== undefined) patched[name] = { ...patched[name], properties: copy };
    // The published schema never says its complex types are objects, so a string or an
    // array where a Reference belongs (subject: "Patient/1") would pass.
    if ((definition as { type?: unknown }).type === undefined) patched[name] = { ...patched[name], type: "object" };
  }
  return patched;
}

function lacksR4Version(values: unknown): boolean {
  return Array.isArray(values) && values.includes("4.0.0") && !values.includes("4.0.1");
}

/** Characters no FHIR string may hold: C0 controls but tab, LF and CR (datatypes.html#string). */
const CONTROLS = "\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F";

/**
 * Rewrites `\s`/`\S` with Java's meaning (ASCII whitespace) so JavaScript accepts what the spec
 * accepts, and keeps the forbidden control characters out of both: `\s` is then space, tab, LF
 * or CR, and `\S` anything but those and the controls.
 */
export function fhirCharacterClasses(pattern: string): string {
  return pattern
    .replaceAll("[ \\r\\n\\t\\S]", `[^${CONTROLS}]`) // space, CR, LF, tab or non-space
    .replaceAll("[^\\s]", "[^\\x00-\\x20]")
    .replaceAll("\\s", "[ \\t\\n\\r]")
    .replaceAll("\\S", "[^\\x00-\\x20]");
}
