import { readFileSync } from "node:fs";
import { buildCapabilityStatement } from "../fhir/capability/capabilityStatement.ts";
import { operationDefinitions } from "../fhir/capability/operationDefinitions.ts";
import { resourceTypes } from "../fhir/definitions/resourceTypes.ts";
import { paramsFor } from "../fhir/search/searchParameters.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

/** What this build really implements, and nothing more. */
export function buildServerCapabilityStatement(baseUrl: string): Record<string, unknown> {
  const types = [...resourceTypes()].sort();
  const includes = searchIncludes(types);
  return buildCapabilityStatement({
    baseUrl,
    software: { name: pkg.name, version: pkg.version },
    resourceTypes: types,
    interactions: [
      "create",
      "read",
      "vread",
      "update",
      "patch",
      "delete",
      "history-instance",
      "history-type",
      "search-type",
    ],
    systemInteractions: ["transaction", "batch", "history-system", "search-system"],
    // POST + If-None-Exist; GET [type]/[id] with If-None-Match and with If-Modified-Since (304);
    // PUT [type]?criteria; DELETE [type]?criteria deletes every match (conditionalDelete.ts).
    conditional: { read: "full-support", create: true, update: true, delete: "multiple" },
    // literal: Reference.reference is stored, searched and, in transactions, made literal
    // (urn:uuid, conditional references). logical: Reference.identifier is accepted and
    // searchable with :identifier. Not "resolves" (identifiers are never turned into
    // references), not "enforced" (a reference to an absent resource is accepted) and not
    // "local" (references to other servers are accepted and searchable by URL).
    referencePolicy: ["literal", "logical"],
    // FHIRPath Patch is a Parameters resource, so its media type is application/fhir+json.
    patchFormats: ["application/json-patch+json", "application/fhir+json"],
    searchParams: (type) =>
      [...paramsFor(type).values()].map((p) => ({
        name: p.code,
        type: p.type as never,
        ...(p.url ? { definition: p.url } : {}),
      })),
    searchIncludes: (type) => includes.get(type) ?? { include: [], revinclude: [] },
    // update and delete honour If-Match
    versioning: "versioned-update",
    updateCreate: true,
    contained: operationDefinitions(),
    operations: [
      { name: "verify", definition: "#verify", types },
      { name: "erase", definition: "#erase", types: ["Patient"] },
      { name: "validate", definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate", types },
      {
        name: "everything",
        definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything",
        types: ["Patient"],
      },
    ],
  }) as unknown as Record<string, unknown>;
}

/**
 * `_include` and `_revinclude` values per type, from the reference search parameters the index
 * extracts: `Observation:subject` is an include of Observation and a revinclude of every type
 * the parameter may point to (every type when its target list is empty).
 */
function searchIncludes(types: readonly string[]): Map<string, { include: string[]; revinclude: string[] }> {
  const byType = new Map(types.map((t) => [t, { include: [] as string[], revinclude: [] as string[] }]));
  for (const source of types) {
    for (const p of paramsFor(source).values()) {
      if (p.type !== "reference" || p.expression === undefined) continue;
      const value = `${source}:${p.code}`;
      byType.get(source)!.include.push(value);
      for (const target of p.target.length > 0 ? p.target : types) byType.get(target)?.revinclude.push(value);
    }
  }
  return byType;
}
