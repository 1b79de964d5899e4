import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import definition from "../../../fhir-profiles/OperationDefinition-break-glass.json" with { type: "json" };
import { assertId } from "../FhirInteractions.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { EngineContext } from "../engine/InteractionRoute.ts";
import { newResourceId } from "../resource/meta.ts";
import { parseSearchRequest } from "../search/parseSearchRequest.ts";
import type { FhirOperation } from "./FhirOperation.ts";

export const ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/** The purposes of use a break-glass may declare (v3 ActReason): emergency ones only. */
export const BREAK_GLASS_PURPOSES = ["ETREAT", "BTG"] as const;
/** Characters a reason may have: enough to explain, not a place to store a record. */
export const MAX_REASON_CHARS = 1000;
/** Longest break-glass when the engine is not told (FHIRLEDGER_BREAK_GLASS_MAX_MINUTES). */
export const DEFAULT_BREAK_GLASS_MAX_MINUTES = 60;
/** Extension holding the practitioner's reason on the Consent. */
export const BREAK_GLASS_REASON_URL = "urn:fhirledger:break-glass-reason";
const KNOWN_PARAMETERS = new Set(["reason", "purpose", "minutes"]);
/** Parameters a request may carry at all (each known one at most once). */
const MAX_PARAMETERS = 8;

/**
 * `POST Patient/[id]/$break-glass`: a practitioner's emergency access to one patient. Writes,
 * as the server, an active Consent into the patient's compartment (consent-spec "Access
 * requests, revocation, break-glass"): scope patient-privacy, `meta.security` v3-ActReason BTG,
 * root provision permit for the practitioner (`actor` its fhirUser), action `access` (reads;
 * writes still need the patient's consent), purpose ETREAT (or BTG), period now..now+minutes;
 * the reason in an extension. Asked again while the practitioner's last one on the patient
 * lasts, that one is renewed (200) instead. The consent decision lets the practitioner see the whole
 * compartment while it lasts; the patient sees it among their consents. Answers 201 with it.
 */
export async function breakGlass(
  ctx: Pick<EngineContext, "index" | "records" | "audit" | "maxBreakGlassMinutes">,
  actor: Actor,
  type: string,
  id: string,
  body: unknown,
  now: Date = new Date(),
): Promise<FhirResult> {
  if (type !== "Patient") throw new FhirLedgerError("not-found", "$break-glass is defined on Patient only");
  assertId(id);
  const practitioner = actor.fhirUser;
  if (actor.role !== "practitioner" || practitioner === undefined || !/^Practitioner\/[^/]+$/.test(practitioner)) {
    await ctx.audit.record({
      action: "E",
      subtype: "break-glass",
      outcome: "4",
      actor,
      entity: `Patient/${id}`,
      description: "break-glass refused: practitioners (with a Practitioner fhirUser) only",
    });
    throw forbidden("$break-glass is for practitioners signed in as a Practitioner (fhirUser)");
  }
  const max = ctx.maxBreakGlassMinutes ?? DEFAULT_BREAK_GLASS_MAX_MINUTES;
  const input = parseInput(body, max);
  const current = await ctx.index.current("Patient", id);
  if (!current || current.deleted) throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
  const end = new Date(now.getTime() + input.minutes * 60_000);
  const consent = {
    resourceType: "Consent",
    meta: {
      security: [{ system: ACT_REASON, code: "BTG", display: "break the glass" }],
    },
    extension: [{ url: BREAK_GLASS_REASON_URL, valueString: input.reason }],
    status: "active",
    scope: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }],
    },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
    patient: { reference: `Patient/${id}` },
    dateTime: now.toISOString(),
    policyRule: { text: "emergency access (break-glass)" },
    provision: {
      type: "permit",
      period: { start: now.toISOString(), end: end.toISOString() },
      actor: [
        {
          role: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PRCP" }],
          },
          reference: { reference: practitioner },
        },
      ],
      action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "access" }] }],
      purpose: [{ system: ACT_REASON, code: input.purpose }],
    },
  };
  // One break-glass per practitioner and patient at a time: asked again while it lasts, it is
  // renewed (a new version, its history kept) rather than a second one added, so repeated
  // calls cannot pile up Consents in the patient's compartment.
  const running = await runningBreakGlass(ctx, `Patient/${id}`, practitioner, now);
  const consentId = running?.id ?? newResourceId();
  const stored = running
    ? await ctx.records.write("Consent", consentId, consent, { ifMatch: running.versionId })
    : await ctx.records.write("Consent", consentId, consent, { mustNotExist: true });
  await ctx.audit.record({
    action: running ? "U" : "C",
    subtype: "break-glass",
    outcome: "0",
    actor: { ...actor, purposeOfUse: input.purpose },
    entity: `Consent/${consentId}`,
    description: `break-glass on Patient/${id} for ${input.minutes} minutes, purpose ${input.purpose}${running ? " (renewed)" : ""}`,
  });
  return {
    status: running ? 200 : 201,
    resource: stored.resource!,
    version: {
      type: "Consent",
      id: consentId,
      versionId: stored.row.versionId,
      lastUpdated: stored.row.lastUpdated,
    },
  };
}

/** The practitioner's break-glass Consent on the patient that has not ended yet, if any. */
async function runningBreakGlass(
  ctx: Pick<EngineContext, "index" | "records">,
  patient: string,
  practitioner: string,
  now: Date,
): Promise<{ id: string; versionId: number } | undefined> {
  const request = parseSearchRequest(
    "Consent",
    new URLSearchParams({
      patient,
      actor: practitioner,
      status: "active",
      _security: `${ACT_REASON}|BTG`,
      _count: "100",
    }),
  );
  const page = await ctx.index.search(request, { countTotal: false });
  for (const row of page.matches) {
    const { resource } = await ctx.records.load(row);
    const provision = resource?.provision as
      | { period?: { end?: unknown }; actor?: { reference?: { reference?: unknown } }[] }
      | undefined;
    const end = typeof provision?.period?.end === "string" ? Date.parse(provision.period.end) : Number.NaN;
    const security = (resource?.meta?.security ?? []) as { system?: unknown; code?: unknown }[];
    if (
      end > now.getTime() &&
      security.some((c) => c.system === ACT_REASON && c.code === "BTG") &&
      Array.isArray(provision?.actor) &&
      provision.actor.some((a) => a?.reference?.reference === practitioner)
    )
      return { id: row.id, versionId: row.versionId };
  }
  return undefined;
}

/** The reason, purpose and minutes of a Parameters body; anything else is a 400 naming what is wrong. */
function parseInput(body: unknown, maxMinutes: number): { reason: string; purpose: string; minutes: number } {
  if (!body || typeof body !== "object" || (body as { resourceType?: unknown }).resourceType !== "Parameters")
    throw invalid("$break-glass takes a Parameters body with a reason", "Parameters");
  const list = (body as { parameter?: unknown }).parameter;
  if (!Array.isArray(list) || list.length > MAX_PARAMETERS)
    throw invalid(`Parameters.parameter must be a list of at most ${MAX_PARAMETERS}`, "Parameters.parameter");
  const seen = new Map<string, Record<string, unknown>>();
  for (const p of list) {
    const name = (p as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || !KNOWN_PARAMETERS.has(name))
      throw invalid(
        `unknown parameter${typeof name === "string" ? ` '${name.slice(0, 40)}'` : ""}: $break-glass takes reason, purpose and minutes`,
        "Parameters.parameter.name",
      );
    if (seen.has(name))
      throw invalid(`parameter '${name}' is given twice`, `Parameters.parameter.where(name='${name}')`);
    seen.set(name, p as Record<string, unknown>);
  }
  const reasonValue = seen.get("reason")?.valueString;
  if (typeof reasonValue !== "string" || reasonValue.trim() === "")
    throw invalid(
      "a reason is required: parameter 'reason' (valueString)",
      "Parameters.parameter.where(name='reason')",
    );
  const reason = reasonValue.trim();
  if ([...reason].length > MAX_REASON_CHARS)
    throw invalid(`reason is longer than ${MAX_REASON_CHARS} characters`, "Parameters.parameter.where(name='reason')");
  const purposeParam = seen.get("purpose");
  const purpose = purposeParam === undefined ? "ETREAT" : (purposeParam.valueCode ?? purposeParam.valueString);
  if (typeof purpose !== "string" || !(BREAK_GLASS_PURPOSES as readonly string[]).includes(purpose))
    throw invalid(
      `purpose must be one of ${BREAK_GLASS_PURPOSES.join(", ")} (v3 ActReason)`,
      "Parameters.parameter.where(name='purpose')",
    );
  const minutesParam = seen.get("minutes");
  const minutes =
    minutesParam === undefined ? maxMinutes : (minutesParam.valuePositiveInt ?? minutesParam.valueInteger);
  if (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 1 || minutes > maxMinutes)
    throw invalid(
      `minutes must be a whole number from 1 to ${maxMinutes} (this server's longest break-glass)`,
      "Parameters.parameter.where(name='minutes')",
    );
  return { reason, purpose, minutes };
}

function invalid(message: string, expression: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: [expression] }],
  });
}

function forbidden(message: string): FhirLedgerError {
  return new FhirLedgerError("forbidden", message, { issues: [{ type: "forbidden", diagnostics: message }] });
}

export const breakGlassOperation: FhirOperation = {
  code: "break-glass",
  definitionUrl: "#break-glass",
  definition,
  types: ["Patient"],
  routes: [
    {
      methods: ["POST"],
      path: "/:type/:id/$break-glass",
      interactions: ["operation"],
      level: "instance",
      operation: "break-glass",
      types: ["Patient"],
      body: "json",
      hint: "$break-glass takes a Parameters body with a reason: POST Patient/[id]/$break-glass",
      handle: (ctx, actor, p, request) => breakGlass(ctx, actor, p.type!, p.id!, request.body),
    },
  ],
};
