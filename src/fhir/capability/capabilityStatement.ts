import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type {
  CapabilityStatement,
  CapabilityStatementOperation,
  CapabilityStatementResource,
  CapabilityStatementSearchParam,
  CapabilityStatementSecurity,
  ReferenceHandlingPolicy,
} from "../types/r4.ts";

/** Type-level interactions R4 defines; anything else is a programming error. */
const TYPE_INTERACTIONS = new Set([
  "read",
  "vread",
  "update",
  "patch",
  "delete",
  "history-instance",
  "history-type",
  "create",
  "search-type",
]);
/** System-level interactions R4 defines. */
const SYSTEM_INTERACTIONS = new Set(["transaction", "batch", "search-system", "history-system"]);

/** What the server claims; nothing is claimed that the caller does not pass. */
export interface CapabilityStatementOptions {
  baseUrl: string;
  software: { name: string; version: string };
  /** ISO date of the statement; defaults to now. */
  date?: string;
  /** The resource types served, each with the same type-level interactions. */
  resourceTypes: readonly string[];
  /** Type-level interaction codes implemented, e.g. ["read", "vread", "update", "delete", "history-instance", "create"]. */
  interactions: readonly string[];
  /**
   * The type-level interactions of one type, when they are fewer than `interactions` (a type
   * that is read-only over REST). The conditional and update-as-create claims of that type
   * follow: none for an interaction it does not have.
   */
  interactionsOf?: (type: string) => readonly string[];
  /** System-level interaction codes implemented, e.g. ["transaction", "batch"]. */
  systemInteractions?: readonly string[];
  /** The search parameters supported for a type (and so claimed in the statement). */
  searchParams?: (type: string) => readonly CapabilityStatementSearchParam[];
  /** The `_include` and `_revinclude` values supported for a type ("Observation:subject"). */
  searchIncludes?: (type: string) => { include: readonly string[]; revinclude: readonly string[] };
  /** "versioned-update" when updates honour If-Match; defaults to "versioned". */
  versioning?: CapabilityStatementResource["versioning"];
  /** Resources the statement refers to with `#id` (OperationDefinitions of the server's own operations). */
  contained?: readonly Record<string, unknown>[];
  /** Operations; those without `types` are system-level. */
  operations: readonly { name: string; definition: string; types?: readonly string[] }[];
  /** Whether PUT to an unknown id creates it. */
  updateCreate?: boolean;
  conditional?: {
    create?: boolean;
    read?: CapabilityStatementResource["conditionalRead"];
    update?: boolean;
    delete?: CapabilityStatementResource["conditionalDelete"];
  };
  /** How references are handled, the same for every type; left out when none is given. */
  referencePolicy?: readonly ReferenceHandlingPolicy[];
  /** Merged into rest.security, e.g. the SMART-on-FHIR service coding and OAuth URIs extension. */
  security?: CapabilityStatementSecurity;
  /** Listed only when the PATCH interaction is claimed. */
  patchFormats?: readonly string[];
}

/**
 * Builds this server's R4 CapabilityStatement (kind "instance") from what the caller says
 * is implemented, so the statement can't claim more than the routes serve.
 * @see https://hl7.org/fhir/R4/capabilitystatement.html
 */
export function buildCapabilityStatement(options: CapabilityStatementOptions): CapabilityStatement {
  assertKnown(options.interactions, TYPE_INTERACTIONS, "type-level");
  assertKnown(options.systemInteractions ?? [], SYSTEM_INTERACTIONS, "system-level");
  const conditional = options.conditional ?? {};
  const resource = options.resourceTypes.map((type): CapabilityStatementResource => {
    const interactions = options.interactionsOf?.(type) ?? options.interactions;
    assertKnown(interactions, TYPE_INTERACTIONS, "type-level");
    const has = (code: string) => interactions.includes(code);
    const searchParam = has("search-type") ? (options.searchParams?.(type) ?? []) : [];
    const operation = options.operations.filter((op) => op.types?.includes(type)).map(toOperation);
    const includes = searchParam.length > 0 ? options.searchIncludes?.(type) : undefined;
    return {
      type,
      interaction: interactions.map((code) => ({ code })),
      versioning: has("update") ? (options.versioning ?? "versioned") : "versioned",
      readHistory: has("vread"),
      updateCreate: has("update") && (options.updateCreate ?? false),
      conditionalCreate: has("create") && (conditional.create ?? false),
      conditionalRead: has("read") ? (conditional.read ?? "not-supported") : "not-supported",
      conditionalUpdate: has("update") && (conditional.update ?? false),
      conditionalDelete: has("delete") ? (conditional.delete ?? "not-supported") : "not-supported",
      ...(options.referencePolicy?.length ? { referencePolicy: [...options.referencePolicy] } : {}),
      ...(includes?.include.length ? { searchInclude: [...includes.include] } : {}),
      ...(includes?.revinclude.length ? { searchRevInclude: [...includes.revinclude] } : {}),
      ...(searchParam.length > 0 ? { searchParam: searchParam.map((p) => ({ ...p })) } : {}),
      ...(operation.length > 0 ? { operation } : {}),
    };
  });
  const systemOperations = options.operations.filter((op) => op.types === undefined).map(toOperation);
  const patchFormats = options.interactions.includes("patch") ? (options.patchFormats ?? []) : [];
  return {
    resourceType: "CapabilityStatement",
    ...(options.contained?.length ? { contained: options.contained.map((r) => ({ ...r })) } : {}),
    status: "active",
    date: options.date ?? new Date().toISOString(),
    kind: "instance",
    software: { name: options.software.name, version: options.software.version },
    implementation: { description: `${options.software.name} FHIR R4 server`, url: options.baseUrl },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    ...(patchFormats.length > 0 ? { patchFormat: [...patchFormats] } : {}),
    rest: [
      {
        mode: "server",
        // cors must be stated either way: an empty security element is invalid (ele-1).
        security: { cors: false, ...options.security },
        resource,
        ...(options.systemInteractions?.length
          ? { interaction: options.systemInteractions.map((code) => ({ code })) }
          : {}),
        ...(systemOperations.length > 0 ? { operation: systemOperations } : {}),
      },
    ],
  };
}

function toOperation(op: { name: string; definition: string }): CapabilityStatementOperation {
  return { name: op.name.replace(/^\$/, ""), definition: op.definition };
}

function assertKnown(codes: readonly string[], known: ReadonlySet<string>, level: string): void {
  const unknown = codes.filter((code) => !known.has(code));
  if (unknown.length > 0)
    throw new FhirLedgerError("internal", `Unknown ${level} interaction(s): ${unknown.join(", ")}`);
}
