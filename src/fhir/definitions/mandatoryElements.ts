import table from "./mandatoryElements.json" with { type: "json" };

const NONE: ReadonlySet<string> = new Set();
const BY_TYPE: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(table as Record<string, string[]>).map(([type, names]) => [type, new Set(names)]),
);

/**
 * The JSON names of the mandatory (min ≥ 1) top-level elements of a resource type, e.g.
 * `status` and `code` for Observation; empty for a type without any, or an unknown one. From
 * mandatoryElements.json, generated from the R4 StructureDefinitions (deriveMandatoryElements.ts).
 * @see https://hl7.org/fhir/R4/search.html#elements
 */
export function mandatoryElements(type: string): ReadonlySet<string> {
  return BY_TYPE.get(type) ?? NONE;
}
