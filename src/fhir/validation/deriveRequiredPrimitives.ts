import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { loadR4Schema } from "../definitions/loadR4Schema.ts";
import type { R4Schema } from "../definitions/loadR4Schema.ts";

/** Schema definition name → elements that must be present: primitives (as `x` or `_x`) and choices (`value[x]`). */
export type RequiredPrimitives = Record<string, string[]>;

interface StructureDefinition {
  id: string;
  kind: string;
  derivation?: string;
  snapshot?: { element: { path: string; min?: number; type?: { code: string }[] }[] };
}

/**
 * Lists the mandatory (min ≥ 1) elements the JSON schema cannot require: a primitive may
 * appear as `status` or only as `_status` (extensions, no value), and a choice as any of
 * its typed names, so the schema's `required` leaves them out (e.g. Observation.status).
 * Input: the base StructureDefinitions of R4; output: what `requiredPrimitives.json` holds.
 * @see https://hl7.org/fhir/R4/json.html#primitive
 */
export function deriveRequiredPrimitives(
  structureDefinitions: Iterable<StructureDefinition>,
  schema: R4Schema,
): RequiredPrimitives {
  const table: RequiredPrimitives = {};
  for (const sd of structureDefinitions) {
    if (sd.derivation !== "specialization" || (sd.kind !== "resource" && sd.kind !== "complex-type")) continue;
    if (schema.definitions[sd.id] === undefined || sd.snapshot === undefined) continue;
    for (const element of sd.snapshot.element) {
      const segments = element.path.split(".");
      const name = segments.pop();
      const code = element.type?.[0]?.code;
      if ((element.min ?? 0) < 1 || name === undefined || segments.length === 0 || code === undefined) continue;
      const isChoice = name.endsWith("[x]");
      const isPrimitive = /^[a-z]/.test(code) || code.startsWith("http://hl7.org/fhirpath/System.");
      if (!isChoice && !isPrimitive) continue; // complex elements are in the schema's `required`
      const definition = definitionAt(schema, segments);
      if (definition === undefined) throw new Error(`No schema definition for ${segments.join(".")}`);
      const list = (table[definition] ??= []);
      if (!list.includes(name)) list.push(name);
    }
  }
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
}

/** Follows a path such as ["Observation", "component"] through the schema to "Observation_Component". */
function definitionAt(schema: R4Schema, segments: string[]): string | undefined {
  let name: string | undefined = segments[0];
  for (const segment of segments.slice(1)) {
    if (name === undefined) return undefined;
    const property = (
      schema.definitions[name]?.properties as Record<string, { $ref?: string; items?: { $ref?: string } }> | undefined
    )?.[segment];
    name = (property?.$ref ?? property?.items?.$ref)?.split("/").pop();
  }
  return name !== undefined && schema.definitions[name] !== undefined ? name : undefined;
}

/** Reads the official R4 StructureDefinitions shipped in hl7.fhir.r4.examples (a dev dependency). */
export function officialStructureDefinitions(): StructureDefinition[] {
  const dir = join(createRequire(import.meta.url).resolve("hl7.fhir.r4.examples/package.json"), "..");
  return readdirSync(dir)
    .filter((file) => file.startsWith("StructureDefinition-") && file.endsWith(".json"))
    .map((file) => JSON.parse(readFileSync(join(dir, file), "utf8")) as StructureDefinition);
}

// Regenerate with: node src/fhir/validation/deriveRequiredPrimitives.ts
if (import.meta.main) {
  const table = deriveRequiredPrimitives(officialStructureDefinitions(), loadR4Schema());
  writeFileSync(new URL("./requiredPrimitives.json", import.meta.url), `${JSON.stringify(table, null, 1)}\n`);
}
