import { resourceTypes } from "../definitions/resourceTypes.ts";
import type { InteractionCode } from "../engine/InteractionHook.ts";
import { INTERACTIONS } from "../engine/interactions.ts";
import { allowsOverRest } from "../engine/restRestrictions.ts";
import { OPERATIONS } from "../operations/index.ts";
import { isSearchable } from "../search/isSearchable.ts";
import { paramsFor } from "../search/searchParameters.ts";
import { buildCapabilityStatement } from "./capabilityStatement.ts";

/** The order the CapabilityStatement lists type-level interactions in. */
const TYPE_ORDER = [
  "create",
  "read",
  "vread",
  "update",
  "patch",
  "delete",
  "history-instance",
  "history-type",
  "search-type",
];
const SYSTEM_ORDER = ["transaction", "batch", "history-system", "search-system"];

/**
 * The interaction codes the table answers at these levels, in the statement's order; for a
 * `type`, only those REST clients may use on it (restRestrictions.ts).
 */
function claimed(levels: readonly string[], order: readonly string[], type?: string): string[] {
  const codes = new Set(INTERACTIONS.filter((r) => levels.includes(r.level)).flatMap((r) => r.interactions));
  return order.filter((code) => codes.has(code as InteractionCode) && allowsOverRest(type, code as InteractionCode));
}

/**
 * What this build really implements, and nothing more: the interactions and operations come
 * from the interaction table and the operations' own files.
 */
export function serverCapabilityStatement(options: {
  baseUrl: string;
  software: { name: string; version: string };
}): Record<string, unknown> {
  const types = [...resourceTypes()].sort();
  const includes = searchIncludes(types);
  return buildCapabilityStatement({
    baseUrl: options.baseUrl,
    software: options.software,
    resourceTypes: types,
    interactions: claimed(["type", "instance"], TYPE_ORDER),
    interactionsOf: (type) => claimed(["type", "instance"], TYPE_ORDER, type),
    systemInteractions: claimed(["system"], SYSTEM_ORDER),
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
    // Declared means answered: a parameter the search would only report as unsupported is left out.
    searchParams: (type) =>
      [...paramsFor(type).values()].filter(isSearchable).map((p) => ({
        name: p.code,
        type: p.type as never,
        ...(p.url ? { definition: p.url } : {}),
      })),
    searchIncludes: (type) => includes.get(type) ?? { include: [], revinclude: [] },
    // update and delete honour If-Match
    versioning: "versioned-update",
    updateCreate: true,
    contained: OPERATIONS.flatMap((op) => (op.definition ? [op.definition] : [])),
    operations: OPERATIONS.map((op) => ({
      name: op.code,
      definition: op.definitionUrl,
      types: (op.types ?? types).filter((type) => allowsOverRest(type, "operation", op.code)),
    })),
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
