import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import definition from "../../../fhir-profiles/OperationDefinition-erase.json" with { type: "json" };
import { assertId } from "../FhirInteractions.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { EngineContext } from "../engine/InteractionRoute.ts";
import type { FhirOperation } from "./FhirOperation.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import { compartmentsOf, patientCompartmentParams, patientIdentifierName } from "../resource/compartmentOf.ts";
import { parseSearchRequest } from "../search/parseSearchRequest.ts";
import type { Resource } from "../types/r4.ts";

/** Why a patient is erased. Only the code is kept (in the AuditEvent); free text never is. */
export const ERASE_REASONS = [
  "patient-request", // the patient asked (e.g. GDPR art. 17)
  "legal-obligation", // a law or a court order requires it
  "entered-in-error", // the record should never have been created (wrong patient, duplicate)
  "test-data", // test or training data
] as const;
type EraseReason = (typeof ERASE_REASONS)[number];

/** Most resources one erasure looks for per compartment parameter and identifier (a page limit, followed). */
const PAGE = 1000;
/**
 * The patient's identifiers OR-ed into one `param:identifier` search (the search's default
 * OR-value cap is 100): an erasure runs one search per compartment parameter and run of
 * identifiers, not one per identifier (a patient with 250 identifiers cost ~38,000 searches,
 * all while writes wait for the erasure).
 */
const IDENTIFIERS_PER_QUERY = 50;

/**
 * `Patient/[id]/$erase`: crypto-shreds the patient's compartment. Administrators only, with a
 * reason code; leaves an AuditEvent that names the patient and the reason code, nothing
 * clinical and no free text (an optional `note` is accepted for the caller's own records and
 * not stored).
 *
 * What is erased: every resource with a version encrypted under the patient's data key (its
 * first compartment reference was the patient), every resource any version of which named the
 * patient through an R4 patient-compartment parameter (the index keeps them: see
 * VersionWrite.compartments), and every current resource that names the patient through a
 * compartment parameter or by one of the patient's identifiers (`param:identifier`). A resource also in another patient's compartment is erased all the
 * same (it names the erased patient) and listed in the response as `sharedResource`, with the
 * other patients it names, so the operator can tell them or write it again without the erased
 * patient. Resources any version of which named the patient by an identifier any version of
 * the patient held are erased too (the index keeps those names, blinded: patientNamesOf);
 * versions committed before index layout 8 are found by that only after a rebuild. AuditEvents stay: the server writes them
 * without clinical content and outside any patient's key, and the erasure's own is one.
 */
export async function erase(
  ctx: Pick<EngineContext, "index" | "records" | "audit">,
  actor: Actor,
  type: string,
  id: string,
  body: unknown,
  baseUrl = "",
): Promise<FhirResult> {
  if (type !== "Patient") throw new FhirLedgerError("not-found", "$erase is defined on Patient only");
  assertId(id);
  // Administrators erase (an administrative act: the answer holds counts, no clinical data),
  // and so do system clients, which reach here only holding system/Patient.d (src/policy).
  if (actor.role !== "admin" && actor.role !== "system") {
    await ctx.audit.record({
      action: "E",
      subtype: "erase",
      outcome: "4",
      actor,
      entity: `Patient/${id}`,
      description: "erasure refused: administrators and system clients only",
    });
    throw new FhirLedgerError("forbidden", "only administrators and system clients may erase a patient");
  }
  const reason = reasonOf(body);
  const current = await ctx.index.current("Patient", id);
  if (!current) throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
  const compartment = `Patient/${id}`;
  const result = await ctx.records.eraseCompartment(compartment, async () => {
    const identifiers = await patientIdentifiers(ctx, id, current.versionId);
    const resources = await namingResources(ctx.index, id, identifiers);
    // what else each one names, read before it goes
    const shared: { reference: string; others: string[] }[] = [];
    for (const r of resources) {
      const stored = await ctx.records.read(r.type, r.id).catch(() => null);
      const others = stored?.resource
        ? compartmentsOf(stored.resource as Resource, baseUrl).filter((c) => c !== compartment)
        : [];
      if (others.length > 0) shared.push({ reference: `${r.type}/${r.id}`, others });
    }
    return { resources, shared, namedBy: identifierNames(identifiers) };
  });
  const auditId = await ctx.audit.record({
    action: "E",
    subtype: "erase",
    outcome: "0",
    actor,
    entity: `Patient/${id}`,
    description: `patient erased, reason ${reason} (${result.resources} resources, ${result.versions} versions, ${result.keys} keys destroyed)`,
  });
  return {
    status: 200,
    resource: {
      resourceType: "Parameters",
      parameter: [
        { name: "erasedResources", valueInteger: result.resources },
        { name: "erasedVersions", valueInteger: result.versions },
        { name: "deletedBlobs", valueInteger: result.blobs },
        { name: "destroyedKeys", valueInteger: result.keys },
        { name: "auditEvent", valueReference: { reference: `AuditEvent/${auditId}` } },
        ...result.found.shared.map((s) => ({
          name: "sharedResource",
          part: [
            { name: "resource", valueReference: { reference: s.reference } },
            ...s.others.map((o) => ({ name: "alsoNames", valueReference: { reference: o } })),
          ],
        })),
      ],
    },
  };
}

/** The `reason` code (valueCode, or a valueString holding a code); anything else is a 400 naming the codes. */
function reasonOf(body: unknown): EraseReason {
  const p = parameter(body, "reason");
  const value = p?.valueCode ?? p?.valueString;
  if (typeof value === "string" && (ERASE_REASONS as readonly string[]).includes(value)) return value as EraseReason;
  const message =
    value === undefined
      ? `a reason is required: Parameters with parameter 'reason' (valueCode), one of ${ERASE_REASONS.join(", ")}`
      : `reason must be one of ${ERASE_REASONS.join(", ")} (a code, not free text: it is kept forever in the audit trail; an optional 'note' is accepted and not stored)`;
  throw new FhirLedgerError("invalid", message, {
    issues: [
      {
        type: value === undefined ? "required" : "code-invalid",
        diagnostics: message,
        expression: ["Parameters.parameter.where(name='reason')"],
      },
    ],
  });
}

/**
 * Every identifier (system|value) any version of the patient held: a resource may name the
 * patient by one it no longer holds.
 */
async function patientIdentifiers(
  ctx: Pick<EngineContext, "records">,
  id: string,
  versionId: number,
): Promise<{ system?: string; value: string }[]> {
  const found = new Map<string, { system?: string; value: string }>();
  for (let v = versionId; v >= 1; v--) {
    const stored = await ctx.records.vread("Patient", id, v).catch(() => null);
    const list = (stored?.resource as { identifier?: unknown } | undefined)?.identifier;
    if (!Array.isArray(list)) continue;
    for (const i of list as { system?: unknown; value?: unknown }[]) {
      if (typeof i?.value !== "string" || i.value === "") continue;
      const system = typeof i.system === "string" ? i.system : undefined;
      found.set(JSON.stringify([system ?? null, i.value]), {
        ...(system !== undefined ? { system } : {}),
        value: i.value,
      });
    }
  }
  return [...found.values()];
}

/** The names resources give the patient by identifier (patientIdentifierName): with its system, and without. */
function identifierNames(identifiers: readonly { system?: string; value: string }[]): string[] {
  return [
    ...new Set(
      identifiers.flatMap((i) => [patientIdentifierName(i.system, i.value), patientIdentifierName(undefined, i.value)]),
    ),
  ];
}

/** Current resources that name the patient through a patient-compartment parameter, by reference or by identifier. */
async function namingResources(
  index: SearchIndex,
  id: string,
  identifiers: readonly { system?: string; value: string }[],
): Promise<{ type: string; id: string }[]> {
  const found = new Map<string, { type: string; id: string }>();
  for (const [type, params] of patientCompartmentParams()) {
    // the patient's own resource is erased by its key; the audit trail stays (the server writes
    // AuditEvents without clinical content, outside any patient's key: see AuditTrail)
    if (type === "Patient" || type === "AuditEvent") continue;
    for (const param of params) {
      const queries = [
        `${param}=${encodeURIComponent(`Patient/${id}`)}`,
        ...chunks(identifiers, IDENTIFIERS_PER_QUERY).map(
          (some) =>
            `${param}:identifier=${some
              .map((i) =>
                encodeURIComponent(
                  `${i.system === undefined ? "" : `${escapeSearchValue(i.system)}|`}${escapeSearchValue(i.value)}`,
                ),
              )
              .join(",")}`,
        ),
      ];
      for (const query of queries) {
        let cursor: string | null = null;
        do {
          const request = parseSearchRequest(
            type,
            new URLSearchParams(`${query}&_count=${PAGE}${cursor ? `&_cursor=${cursor}` : ""}`),
          );
          if (request.unknown.length > 0) break; // a parameter this server does not index (none today)
          const page = await index.search(request, { countTotal: false });
          for (const v of page.matches) found.set(`${v.type}/${v.id}`, { type: v.type, id: v.id });
          cursor = page.matches.length > 0 ? page.nextCursor : null;
        } while (cursor !== null);
      }
    }
  }
  return [...found.values()];
}

/** `list` in runs of at most `n`. */
function chunks<T>(list: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

/** A search value's reserved characters escaped (R4 search.html#escaping). */
function escapeSearchValue(value: string): string {
  return value.replace(/[\\,$|]/g, (c) => `\\${c}`);
}

export const eraseOperation: FhirOperation = {
  code: "erase",
  definitionUrl: "#erase",
  definition,
  types: ["Patient"],
  routes: [
    {
      methods: ["POST"],
      path: "/:type/:id/$erase",
      interactions: ["operation"],
      level: "instance",
      operation: "erase",
      types: ["Patient"],
      body: "json",
      hint: "$erase takes a Parameters body with a reason: POST Patient/[id]/$erase",
      handle: (ctx, actor, p, request) => erase(ctx, actor, p.type!, p.id!, request.body, request.baseUrl),
    },
  ],
};

function parameter(body: unknown, name: string): { valueString?: unknown; valueCode?: unknown } | undefined {
  if (!body || typeof body !== "object" || (body as { resourceType?: unknown }).resourceType !== "Parameters")
    return undefined;
  const params = (body as { parameter?: unknown }).parameter;
  if (!Array.isArray(params)) return undefined;
  return params.find((x) => x && typeof x === "object" && (x as { name?: unknown }).name === name) as
    | { valueString?: unknown; valueCode?: unknown }
    | undefined;
}
