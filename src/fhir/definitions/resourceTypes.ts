import { loadR4Schema } from "./loadR4Schema.ts";

let types: ReadonlySet<string> | undefined;

/**
 * The R4 resource type names (146 concrete types, Bundle and Parameters included),
 * taken from the schema's resourceType discriminator, which lists resources only:
 * data types, backbone elements and the abstract Resource/DomainResource are absent.
 */
export function resourceTypes(): ReadonlySet<string> {
  types ??= new Set(Object.keys(loadR4Schema().discriminator.mapping).sort());
  return types;
}

/** True when `name` is a concrete R4 resource type (case-sensitive, as FHIR is). Not a type guard: narrowing a string to `never` on false would hurt callers. */
export function isResourceType(name: unknown): boolean {
  return typeof name === "string" && resourceTypes().has(name);
}
