import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { copyNumberTexts } from "../../json/preciseJson.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import { checkPreconditions } from "../../records/checkPreconditions.ts";
import type { FhirResource, WriteOperation } from "../../records/RecordRepository.ts";
import { findDeleteMatches } from "../conditional/findDeleteMatches.ts";
import { findMatchesAfterDeletes } from "../conditional/findMatchesAfterDeletes.ts";
import { isNotModified } from "../conditional/isNotModified.ts";
import { parseIfMatch, parseIfNoneMatch } from "../conditional/requestChecks.ts";
import { type ConditionalResolver, isConditionalReference } from "../conditional/resolveConditionalReference.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { informationOutcome } from "../outcome/operationOutcome.ts";
import { preparePatch } from "../patch/preparePatch.ts";
import { newResourceId } from "../resource/meta.ts";
import type { BundleDeps, PreferReturn } from "./BundleDeps.ts";
import { MAX_BUNDLE_ENTRIES } from "./bundleLimits.ts";
import { entryPatch } from "./entryPatch.ts";
import { atEntry, resultEntry } from "./entryResponse.ts";
import type { ParsedEntry } from "./parseBundle.ts";
import { rewriteReferences, rewriteReferencesInPlace } from "./rewriteReferences.ts";
import { R4_ID_SOURCE as ID_SOURCE, RESOURCE_TYPE_NAME_SOURCE } from "../ids.ts";
import type { ResponseBudget } from "../responseBudget.ts";

/** The steps of one entry, shared by transactions (all entries, one write) and batches (each alone). */

const PLACEHOLDER = /^urn:(uuid|oid):/;

/** What a write entry will do, once its identity is known. */
export type Plan =
  | { entry: ParsedEntry; action: "create" | "update" | "patch" | "delete"; type: string; id: string }
  | { entry: ParsedEntry; action: "existing"; type: string; id: string; match: VersionRow }
  | { entry: ParsedEntry; action: "nothing-to-delete"; type: string }
  /** a conditional delete matching several resources: all of them go, in the same write */
  | { entry: ParsedEntry; action: "delete-matches"; type: string; ids: string[] }
  /** a conditional create repeating an earlier entry's criteria in the same transaction */
  | { entry: ParsedEntry; action: "same-as"; type: string; id: string; of: Plan };

export type WriteResult = Awaited<ReturnType<BundleDeps["records"]["writeAll"]>>[number];

/** Most resources one conditional delete entry may remove (more is a 412). */
export function maxDeletes(deps: BundleDeps): number {
  return deps.maxDeletes ?? MAX_BUNDLE_ENTRIES;
}

/** The resources (`Type/id`) a plan writes: none for a plan that only answers. */
export function changedKeys(plan: Plan): string[] {
  switch (plan.action) {
    case "existing":
    case "same-as":
    case "nothing-to-delete":
      return [];
    case "delete-matches":
      return plan.ids.map((id) => `${plan.type}/${id}`);
    default:
      return [`${plan.type}/${plan.id}`];
  }
}

/** A relative literal reference `Type/id`. */
const RELATIVE = new RegExp(`^${RESOURCE_TYPE_NAME_SOURCE}/${ID_SOURCE}$`);
/** A RESTful fullUrl `[base]/Type/id`: group 1 is its base, with the trailing slash. */
const RESTFUL_FULL_URL = new RegExp(`^(https?://.*/)${RESOURCE_TYPE_NAME_SOURCE}/${ID_SOURCE}$`);

/**
 * The base that relative references inside an entry resolve against: the base of its fullUrl
 * when that is a RESTful URL, else (urn:uuid, urn:oid or none) the server's own base.
 * @see https://hl7.org/fhir/R4/bundle.html#references
 */
export function relativeBase(fullUrl: string | undefined, serverBase: string): string {
  const restful = fullUrl === undefined ? null : RESTFUL_FULL_URL.exec(fullUrl);
  return restful ? restful[1]! : `${serverBase.replace(/\/+$/, "")}/`;
}

/**
 * Maps a reference: to Type/id when it names an entry's fullUrl, also as a relative `Type/id`
 * that resolves against `base` (see relativeBase) to an entry's fullUrl; through the
 * conditional resolver when it is `Type?criteria`; a urn:uuid/urn:oid that names no entry is a
 * 400. Any other reference is left as it is (it names a resource the server already holds).
 */
export function referenceMapper(
  identities: ReadonlyMap<string, string>,
  resolveConditional: ConditionalResolver,
  base?: string,
): ReferenceMapper {
  const map = (reference: string): string => {
    const mapped = identities.get(reference);
    if (mapped !== undefined) return mapped;
    if (PLACEHOLDER.test(reference))
      throw invalidError(
        `the reference ${reference.slice(0, 200)} is not the fullUrl of an entry that creates or updates a resource in this bundle`,
      );
    if (isConditionalReference(reference)) return resolveConditional(reference);
    if (base !== undefined && RELATIVE.test(reference)) return identities.get(base + reference) ?? reference;
    return reference;
  };
  map.prefetch = resolveConditional.prefetch;
  return map;
}

/** Maps references synchronously, once `prefetch` has searched the conditional ones in the value to map. */
export type ReferenceMapper = ConditionalResolver;

/**
 * Resolves who an entry writes: conditional criteria are searched (one match for ifNoneExist,
 * conditional update and patch; every match, up to maxDeletes, for a conditional delete), a
 * create gets a new id. The single-match criteria don't see the resources in `deleted`
 * (`Type/id`), which the transaction's DELETE entries, processed first, remove.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
export async function planEntry(
  deps: BundleDeps,
  entry: ParsedEntry,
  deleted: ReadonlySet<string> = new Set(),
): Promise<Plan> {
  const { type, id, query } = entry.target;
  const single = async (criteria: string, what: string, letter: "c" | "u"): Promise<VersionRow | null> => {
    const policy = deps.fhir.matchPolicy(deps.actor, type, letter);
    const matches = await findMatchesAfterDeletes(deps.index, type, criteria, deleted, policy);
    if (matches.length > 1)
      throw new FhirLedgerError("precondition-failed", `the ${what} criteria match more than one resource`);
    return matches[0] ?? null;
  };
  switch (entry.method) {
    case "DELETE": {
      if (id !== undefined) return { entry, action: "delete", type, id };
      const matches = await findDeleteMatches(
        deps.index,
        type,
        query!,
        maxDeletes(deps),
        deps.fhir.matchPolicy(deps.actor, type, "d"),
      );
      if (matches.length === 0 && entry.ifMatch !== undefined) {
        parseIfMatch(entry.ifMatch);
        throw new FhirLedgerError(
          "precondition-failed",
          "If-Match names one version, but the conditional delete criteria match no resource",
        );
      }
      if (matches.length === 0) return { entry, action: "nothing-to-delete", type };
      if (matches.length === 1) return { entry, action: "delete", type, id: matches[0]!.id };
      return { entry, action: "delete-matches", type, ids: matches.map((m) => m.id) };
    }
    case "POST": {
      const match = entry.ifNoneExist === undefined ? null : await single(entry.ifNoneExist, "ifNoneExist", "c");
      return match
        ? { entry, action: "existing", type, id: match.id, match }
        : { entry, action: "create", type, id: newResourceId() };
    }
    case "PUT": {
      if (id !== undefined) return { entry, action: "update", type, id };
      const match = await single(query!, "conditional update", "u");
      const bodyId = entry.resource?.id;
      if (match) return { entry, action: "update", type, id: match.id };
      return typeof bodyId === "string"
        ? { entry, action: "update", type, id: bodyId }
        : { entry, action: "create", type, id: newResourceId() };
    }
    case "PATCH": {
      if (id !== undefined) return { entry, action: "patch", type, id };
      const match = await single(query!, "conditional patch", "u");
      if (!match) throw new FhirLedgerError("not-found", "the conditional patch criteria match no resource");
      return { entry, action: "patch", type, id: match.id };
    }
    default:
      throw new FhirLedgerError("internal", "not a write entry");
  }
}

/**
 * The writes of a plan, checked and ready for writeAll: none for a plan that only answers, one
 * delete marker per match of a conditional delete, else one operation (see prepareOperation).
 */
export async function prepareOperations(
  deps: BundleDeps,
  plan: Plan,
  mapReference: ReferenceMapper,
  links?: ReadonlyMap<string, string>,
): Promise<WriteOperation[]> {
  const ops = await unguardedOperations(deps, plan, mapReference, links);
  // Each write within the caller's grant (compartment, constraints): see FhirInteractions.guardWrite.
  for (const op of ops) await deps.fhir.guardWrite(deps.actor, op);
  return ops;
}

async function unguardedOperations(
  deps: BundleDeps,
  plan: Plan,
  mapReference: ReferenceMapper,
  links?: ReadonlyMap<string, string>,
): Promise<WriteOperation[]> {
  switch (plan.action) {
    case "existing":
    case "nothing-to-delete":
    case "same-as":
      return [];
    case "delete-matches":
      if (plan.entry.ifMatch !== undefined) {
        throw new FhirLedgerError(
          "precondition-failed",
          `If-Match names one version, but the conditional delete criteria match ${plan.ids.length} resources`,
        );
      }
      return plan.ids.map((id) => ({ kind: "delete", type: plan.type, id }));
    default:
      return [await prepareOperation(deps, plan, mapReference, links)];
  }
}

/** A plan that writes one version of one resource. */
type SinglePlan = Extract<Plan, { action: "create" | "update" | "patch" | "delete" }>;

/**
 * The write of one resource: references and links (see rewriteReferencesInPlace) mapped, the
 * result validated, If-Match (a version or `*`) and a PUT's If-None-Match checked here too
 * (writeAll checks them again under its lock) so that the error names this entry.
 */
async function prepareOperation(
  deps: BundleDeps,
  plan: SinglePlan,
  mapReference: ReferenceMapper,
  links: ReadonlyMap<string, string> | undefined,
): Promise<WriteOperation> {
  const { entry } = plan;
  const ifMatch = entry.ifMatch === undefined ? undefined : parseIfMatch(entry.ifMatch);
  const ifNoneMatch =
    entry.ifNoneMatch === undefined || entry.method !== "PUT" ? undefined : parseIfNoneMatch(entry.ifNoneMatch);
  switch (plan.action) {
    case "delete": {
      const op: WriteOperation = {
        kind: "delete",
        type: plan.type,
        id: plan.id,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      };
      if (ifMatch !== undefined) checkPreconditions(op, await deps.index.current(plan.type, plan.id));
      return op;
    }
    case "patch": {
      // Outside the caller's grant the resource is unknown, before the patch can fail on it.
      await deps.fhir.guardExisting(deps.actor, plan.type, plan.id, "u");
      const { patch, format } = entryPatch(entry.resource!);
      const { current, resource } = await preparePatch(deps, plan.type, plan.id, patch, {
        format,
        ...(ifMatch === undefined ? {} : { ifMatch }),
        transform: async (r) => {
          await mapReference.prefetch(r);
          return rewriteReferences(r, mapReference, links);
        },
      });
      return { kind: "write", type: plan.type, id: plan.id, resource, ifMatch: current.row.versionId };
    }
    case "create":
    case "update": {
      const source = entry.resource!;
      if (entry.method === "PUT" && source.id !== undefined && source.id !== plan.id) {
        throw new FhirLedgerError(
          "invalid",
          `the id in the resource (${String(source.id).slice(0, 64)}) does not match the request (${plan.id})`,
          {
            issues: [
              { type: "invalid", diagnostics: "resource id differs from the request", expression: [`${plan.type}.id`] },
            ],
          },
        );
      }
      if (entry.method === "PUT" && entry.target.id !== undefined && source.id === undefined) {
        throw new FhirLedgerError("invalid", "the resource must contain an id for update", {
          issues: [{ type: "required", diagnostics: "id is required on update", expression: [`${plan.type}.id`] }],
        });
      }
      const preconditions = {
        ...(ifMatch === undefined ? {} : { ifMatch }),
        ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
      };
      if (ifMatch !== undefined || ifNoneMatch !== undefined) {
        checkPreconditions(
          { kind: "write", type: plan.type, id: plan.id, resource: source as FhirResource, ...preconditions },
          await deps.index.current(plan.type, plan.id),
        );
      }
      // A POST's own id is replaced by the server's (R4 3.1.0.7); references to it were mapped above.
      await mapReference.prefetch(source);
      const resource = { ...rewriteReferencesInPlace(source, mapReference, links), id: plan.id } as FhirResource;
      copyNumberTexts(source, resource); // a top-level 1.50 stays 1.50 (and is validated as written)
      deps.validator.validate(resource, { expectedType: plan.type });
      return {
        kind: "write",
        type: plan.type,
        id: plan.id,
        resource,
        ...(plan.action === "create" ? { mustNotExist: true } : {}),
        ...preconditions,
      };
    }
  }
}

/**
 * The response entry of a write entry, from the results of its operations (for `same-as`, of
 * the entry it repeats). A conditional delete of several resources answers like the REST
 * interaction: 200 with an OperationOutcome that counts them. `prefer`: representation adds the
 * stored resource, OperationOutcome an outcome about the write (minimal: neither).
 */
export async function writeResponse(
  deps: BundleDeps,
  plan: Plan,
  results: readonly (WriteResult | null)[],
  prefer: PreferReturn,
): Promise<Record<string, unknown>> {
  const entry = await writeEntry(deps, plan, results, prefer === "representation");
  const response = entry.response as Record<string, unknown>;
  if (prefer === "OperationOutcome" && response.outcome === undefined)
    response.outcome = informationOutcome(outcomeText(plan, response));
  return entry;
}

/** What an entry's write did, for `Prefer: return=OperationOutcome` (as the REST writes say it). */
function outcomeText(plan: Plan, response: Record<string, unknown>): string {
  const key = "id" in plan ? `${plan.type}/${plan.id}` : plan.type;
  const version = typeof response.etag === "string" ? /"([0-9]+)"/.exec(response.etag)?.[1] : undefined;
  const ofVersion = version === undefined ? "" : ` (version ${version})`;
  switch (plan.action) {
    case "existing":
      return `${key} matches the ifNoneExist criteria${ofVersion}; nothing was created`;
    case "same-as":
      return `${key} is created by an earlier entry with the same ifNoneExist criteria`;
    case "delete":
      return version === undefined ? `${key} did not exist; nothing was deleted` : `${key} deleted${ofVersion}`;
    default:
      return `${key} ${String(response.status).startsWith("201") ? "created" : "updated"}${ofVersion}`;
  }
}

async function writeEntry(
  deps: BundleDeps,
  plan: Plan,
  results: readonly (WriteResult | null)[],
  representation: boolean,
): Promise<Record<string, unknown>> {
  const result = results[0] ?? null;
  if (plan.action === "nothing-to-delete") {
    return resultEntry(
      deps.baseUrl,
      {
        status: 200,
        resource: informationOutcome("no resource matched the criteria; nothing was deleted") as unknown as Record<
          string,
          unknown
        >,
      },
      { includeResource: false },
    );
  }
  if (plan.action === "delete-matches") {
    const count = results.filter((r) => r !== null).length;
    return resultEntry(
      deps.baseUrl,
      {
        status: 200,
        resource: informationOutcome(
          `deleted ${count} ${plan.type} resources matching the criteria`,
        ) as unknown as Record<string, unknown>,
      },
      { includeResource: false },
    );
  }
  if (plan.action === "existing") {
    const { match } = plan;
    const resource = representation ? (await deps.records.load(match)).resource! : undefined;
    return resultEntry(
      deps.baseUrl,
      {
        status: 200,
        ...(resource ? { resource } : {}),
        version: { type: match.type, id: match.id, versionId: match.versionId, lastUpdated: match.lastUpdated },
      },
      { includeResource: representation },
    );
  }
  if (plan.action === "same-as") {
    return resultEntry(
      deps.baseUrl,
      { status: 200, ...(result ? { version: versionOf(result.row) } : {}) },
      { includeResource: false },
    );
  }
  if (plan.action === "delete") {
    return resultEntry(
      deps.baseUrl,
      { status: 204, ...(result ? { version: versionOf(result.row) } : {}) },
      { includeResource: false },
    );
  }
  const stored = result!;
  return resultEntry(
    deps.baseUrl,
    { status: stored.created ? 201 : 200, resource: stored.resource!, version: versionOf(stored.row) },
    { includeResource: representation },
  );
}

/**
 * A GET/HEAD entry: search, read or vread, with the entry's query as the REST interaction takes
 * it (search parameters; `_summary` / `_elements` on a read or vread), and a read's
 * ifNoneMatch / ifModifiedSince as its headers (304).
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export async function readEntry(deps: BundleDeps, entry: ParsedEntry): Promise<FhirResult> {
  const { type, id, vid, query } = entry.target;
  const params = new URLSearchParams(query ?? "");
  // What a GET entry answers goes into the response Bundle, and counts against its budget; once
  // that is full, every later GET entry is answered with the error instead (HEAD carries nothing).
  const budget = entry.method === "GET" ? deps.budget : undefined;
  if (budget?.spent) throw budget.refusal();
  if (id === undefined)
    return deps.fhir.search(deps.actor, type, params, {
      baseUrl: deps.baseUrl,
      strict: false,
      ...(budget === undefined ? {} : { budget }),
    });
  const shape = query === undefined ? undefined : params;
  const result =
    vid !== undefined
      ? await deps.fhir.vread(deps.actor, type, id, vid, shape)
      : await deps.fhir.read(deps.actor, type, id, shape);
  const answered = notModified(entry, result) ?? result;
  if (budget !== undefined) chargeRead(budget, answered);
  return answered;
}

/**
 * Counts the resource a read answered with against `budget`; throws its refusal when it does not
 * fit. A search result was counted as its page was filled.
 */
export function chargeRead(budget: ResponseBudget, result: FhirResult): void {
  if (result.status !== 200 || result.version === undefined) return; // a 304, or a searchset
  const size =
    result.bytes?.byteLength ??
    (result.text !== undefined ? Buffer.byteLength(result.text) : Buffer.byteLength(JSON.stringify(result.resource)));
  if (!budget.take(size)) throw budget.refusal();
}

/**
 * A read's `304 Not Modified` (version, no resource) when the entry's ifNoneMatch or
 * ifModifiedSince says the client's copy is current, as for the HTTP headers.
 * @see https://hl7.org/fhir/R4/http.html#cread
 */
function notModified(entry: ParsedEntry, result: FhirResult): FhirResult | undefined {
  if (result.status !== 200 || !result.version) return undefined;
  const conditions = {
    ...(entry.ifNoneMatch === undefined ? {} : { ifNoneMatch: entry.ifNoneMatch }),
    ...(entry.ifModifiedSince === undefined ? {} : { ifModifiedSince: entry.ifModifiedSince }),
  };
  return isNotModified(result.version, conditions) ? { status: 304, version: result.version } : undefined;
}

function versionOf(row: VersionRow): { type: string; id: string; versionId: number; lastUpdated: string } {
  return { type: row.type, id: row.id, versionId: row.versionId, lastUpdated: row.lastUpdated };
}

export function invalidError(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

export async function guardAsync<T>(entry: ParsedEntry, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw atEntry(error, { ...entry, type: resourceTypeOf(entry) });
  }
}

/**
 * The type of the entry's own resource, which issue expressions are rooted at: a PATCH entry's
 * is its Binary or Parameters (so `Parameters.parameter[0]` becomes
 * `Bundle.entry[i].resource.parameter[0]`), not the patched type.
 */
function resourceTypeOf(entry: ParsedEntry): string {
  return entry.resource?.resourceType ?? entry.target.type;
}
