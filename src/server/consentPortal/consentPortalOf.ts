import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirEngine } from "../../fhir/engine/FhirEngine.ts";
import type { FhirRequest, FhirResponse } from "../../fhir/engine/FhirRequest.ts";
import {
  BREAK_GLASS_PURPOSES,
  MAX_ACCESS_LOG_PAGE,
  MAX_BREAK_GLASS_MINUTES,
  MAX_CLASSES,
  MAX_REASON_LENGTH,
  REQUESTABLE_CLASSES,
} from "../../ui/consentLimits.ts";
import type { ConsentDecision, ConsentPortal, ConsentSummary, PatientRecords } from "../../ui/ports.ts";
import { CONSENT_REQUESTS_READER, patientActor, practitionerActor } from "./portalActors.ts";
import { resourceName } from "./resourceName.ts";
import { summarizeAuditEvent } from "./summarizeAuditEvent.ts";
import { summarizeConsent } from "./summarizeConsent.ts";

type Json = Record<string, unknown>;

export const ACCESS_LOG_PAGE = 20;
export const MAX_CONSENTS_LISTED = 200;
export const MAX_RECORDS_LISTED = 200;
/** Distinct actor references resolved to names per page; the rest show as references. */
const MAX_NAME_LOOKUPS = 30;
const PURPOSES = new Set(BREAK_GLASS_PURPOSES.map((p) => p.code));

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

const CONSENT_SCOPE = { system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" };

/** What a patient's decision does: from which status, to which. */
const TRANSITIONS: Record<ConsentDecision, { from: string; to: string; refusal: string }> = {
  approve: { from: "proposed", to: "active", refusal: "This request is no longer waiting for your answer." },
  reject: { from: "proposed", to: "rejected", refusal: "This request is no longer waiting for your answer." },
  revoke: { from: "active", to: "inactive", refusal: "This consent is not active, so there is nothing to revoke." },
};

const HIDDEN = new Set(["not-found", "forbidden", "gone"]);

/** Checks an id from a form or URL: a FHIR id, else "invalid" with a message for the page. */
export function checkId(id: string, what = "patient"): string {
  const trimmed = id.trim().replace(/^Patient\//, "");
  if (!ID.test(trimmed))
    throw new FhirLedgerError("invalid", `Enter the ${what} as Patient/<id> (letters, digits, - and .).`);
  return trimmed;
}

function checkDate(value: string | undefined, label: string): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  if (
    !DATE.test(v) ||
    Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ||
    new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v
  )
    throw new FhirLedgerError("invalid", `${label} must be a date (YYYY-MM-DD).`);
  return v;
}

/**
 * The consent pages' port on the FHIR engine's one door (see ConsentPortal). Each call acts as
 * the signed-in user's Actor (patientActor / practitionerActor), so SMART scopes, role and the
 * patient's consent decide every answer, and every call is an interaction the audit trail sees.
 * The one exception is `requestsOf` (see CONSENT_REQUESTS_READER).
 */
export function consentPortalOf(
  engine: FhirEngine,
  baseUrl: () => string,
  now: () => Date = () => new Date(),
): ConsentPortal {
  const call = (
    actor: Actor,
    method: string,
    path: string[],
    query: Record<string, string> = {},
    extra: Partial<FhirRequest> = {},
  ) => {
    const q = new URLSearchParams(query);
    return engine.handle(actor, {
      method,
      path,
      query: q,
      rawQuery: q.toString(),
      headers: {},
      baseUrl: baseUrl(),
      ...extra,
    });
  };
  const entriesOf = (response: FhirResponse): Json[] =>
    ((response.resource?.entry as { resource?: Json; search?: { mode?: string } }[] | undefined) ?? [])
      .filter((e) => e.search?.mode !== "include" && e.search?.mode !== "outcome")
      .map((e) => e.resource)
      .filter((r): r is Json => r !== undefined && r.resourceType !== "OperationOutcome");
  const hasNext = (response: FhirResponse) =>
    ((response.resource?.link as { relation?: string }[] | undefined) ?? []).some((l) => l.relation === "next");

  /** Names for the actors of these summaries, read as `actor` (what it may not read stays a reference). */
  const nameActors = async (actor: Actor, summaries: ConsentSummary[], self?: string, selfName = "you") => {
    const names = new Map<string, string>();
    for (const s of summaries)
      for (const a of s.actors) {
        if (names.has(a.reference) || names.size >= MAX_NAME_LOOKUPS) continue;
        const [type, id] = a.reference.split("/");
        if (!type || !id || !TYPE.test(type) || !ID.test(id) || a.reference.split("/").length !== 2) continue;
        if (a.reference === self) {
          names.set(a.reference, selfName);
          continue;
        }
        try {
          const r = (await call(actor, "GET", [type, id])).resource;
          const name = r ? resourceName(r) : undefined;
          if (name) names.set(a.reference, name);
        } catch {
          // Not readable by this viewer (or gone): the reference is what the page shows.
        }
      }
    for (const s of summaries) for (const a of s.actors) a.name = names.get(a.reference) ?? a.reference;
    return summaries;
  };

  /**
   * A consent limited to some kinds of records leaves the Patient itself (and so $everything)
   * hidden: the kinds an access request offers are searched one by one instead. Nothing found
   * is "not granted" (undefined).
   */
  const recordsByKind = async (actor: Actor, id: string): Promise<PatientRecords | undefined> => {
    const found: Json[] = [];
    let truncated = false;
    for (const { type } of REQUESTABLE_CLASSES) {
      const response = await call(actor, "GET", [type], { patient: `Patient/${id}`, _count: "50" });
      found.push(...entriesOf(response).filter((r) => r.resourceType === type));
      truncated ||= hasNext(response);
    }
    if (found.length === 0) return undefined;
    return {
      id,
      name: `Patient/${id}`,
      resources: found.slice(0, MAX_RECORDS_LISTED).map(recordLine),
      truncated: truncated || found.length > MAX_RECORDS_LISTED,
    };
  };

  return {
    async consentsOf(user) {
      const actor = patientActor(user);
      const response = await call(actor, "GET", ["Consent"], {
        patient: `Patient/${actor.patient}`,
        _sort: "-_lastUpdated",
        _count: String(MAX_CONSENTS_LISTED),
      });
      const own = entriesOf(response)
        .map(summarizeConsent)
        .filter((s) => s.patient === `Patient/${actor.patient}`);
      return nameActors(actor, own);
    },

    async decide(user, consentId, decision) {
      const actor = patientActor(user);
      const id = checkId(consentId, "consent");
      const transition = TRANSITIONS[decision];
      if (!transition) throw new FhirLedgerError("invalid", "Unknown decision.");
      let current: FhirResponse;
      try {
        current = await call(actor, "GET", ["Consent", id]);
      } catch (error) {
        if (error instanceof FhirLedgerError && HIDDEN.has(error.code))
          throw new FhirLedgerError("not-found", "There is no such consent among yours.");
        throw error;
      }
      const consent = current.resource as Json;
      if ((consent.patient as Json | undefined)?.reference !== `Patient/${actor.patient}`)
        throw new FhirLedgerError("not-found", "There is no such consent among yours.");
      if (consent.status !== transition.from) throw new FhirLedgerError("conflict", transition.refusal);
      const versionId = current.version?.versionId ?? (consent.meta as Json | undefined)?.versionId;
      try {
        await call(
          actor,
          "PUT",
          ["Consent", id],
          {},
          {
            body: { ...consent, status: transition.to },
            headers: versionId === undefined ? {} : { ifMatch: `W/"${String(versionId)}"` },
          },
        );
      } catch (error) {
        // Changed since it was read (another tab, the practitioner withdrew it): say so, change nothing.
        if (error instanceof FhirLedgerError && (error.code === "precondition-failed" || error.code === "conflict"))
          throw new FhirLedgerError("conflict", "This consent changed in the meantime. Reload the page and try again.");
        throw error;
      }
    },

    async accessLog(user, page) {
      const actor = patientActor(user);
      if (!Number.isInteger(page) || page < 1 || page > MAX_ACCESS_LOG_PAGE)
        throw new FhirLedgerError("invalid", `Pages go from 1 to ${MAX_ACCESS_LOG_PAGE}.`);
      const patient = `Patient/${actor.patient}`;
      const response = await call(actor, "GET", ["AuditEvent"], {
        patient,
        _sort: "-date",
        _count: String(ACCESS_LOG_PAGE),
        _offset: String((page - 1) * ACCESS_LOG_PAGE),
      });
      const entries = entriesOf(response)
        .filter((r) => r.resourceType === "AuditEvent")
        .map((r) => summarizeAuditEvent(r, patient));
      // Agents are recorded by reference (fhirUser): named here as the patient may read them.
      const named = await nameActors(
        actor,
        entries.map((e) => ({ actors: e.who.map((w) => ({ reference: w, name: w })) }) as ConsentSummary),
        patient,
        "You",
      );
      entries.forEach((e, i) => {
        e.who = named[i]!.actors.map((a) =>
          a.name === a.reference || a.reference === patient ? a.name : `${a.name} (${a.reference})`,
        );
      });
      return { entries, hasMore: hasNext(response) };
    },

    async findPatients(user, text) {
      const actor = practitionerActor(user);
      const query: Record<string, string> = { _count: "20" };
      if (text.trim() !== "") query.name = text.trim().slice(0, 100);
      const response = await call(actor, "GET", ["Patient"], query);
      return entriesOf(response)
        .filter((r) => r.resourceType === "Patient")
        .map((p) => ({ id: String(p.id), name: resourceName(p) ?? String(p.id) }));
    },

    async requestAccess(user, input) {
      const actor = practitionerActor(user);
      const patientId = checkId(input.patient);
      if (input.classes.length > MAX_CLASSES) throw new FhirLedgerError("invalid", "Too many kinds of records.");
      for (const type of input.classes)
        if (!TYPE.test(type)) throw new FhirLedgerError("invalid", "Unknown kind of record.");
      const start = checkDate(input.start, "From");
      const end = checkDate(input.end, "Until");
      if (start && end && end < start) throw new FhirLedgerError("invalid", "Until must not be before From.");
      if (end && end < now().toISOString().slice(0, 10))
        throw new FhirLedgerError("invalid", "Until must not be in the past.");
      const period = {
        ...(start ? { start: `${start}T00:00:00Z` } : {}),
        ...(end ? { end: `${end}T23:59:59Z` } : {}),
      };
      const body = {
        resourceType: "Consent",
        status: "proposed",
        scope: { coding: [CONSENT_SCOPE] },
        category: [{ coding: [{ system: "http://loinc.org", code: "59284-0", display: "Patient Consent" }] }],
        patient: { reference: `Patient/${patientId}` },
        dateTime: now().toISOString(),
        policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
        provision: {
          type: "permit",
          actor: [
            {
              role: {
                coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PRCP" }],
              },
              reference: { reference: actor.fhirUser },
            },
          ],
          ...(Object.keys(period).length > 0 ? { period } : {}),
          ...(input.classes.length > 0
            ? {
                class: [...new Set(input.classes)].map((code) => ({
                  system: "http://hl7.org/fhir/resource-types",
                  code,
                })),
              }
            : {}),
        },
      };
      const response = await call(actor, "POST", ["Consent"], {}, { headers: { prefer: "return=minimal" }, body });
      const id = response.version?.id;
      if (id === undefined) throw new FhirLedgerError("internal", "the request was not recorded");
      return id;
    },

    async requestsOf(user) {
      const actor = practitionerActor(user);
      const query = { actor: actor.fhirUser, _sort: "-_lastUpdated", _count: String(MAX_CONSENTS_LISTED) };
      // As itself, the practitioner sees its requests (proposed, rejected, withdrawn) and what
      // a consent lets it see; an approved request limited to some kinds of records it may not
      // see, so the server's narrow reader adds those (see CONSENT_REQUESTS_READER).
      const [own, server] = await Promise.all([
        call(actor, "GET", ["Consent"], query),
        call(CONSENT_REQUESTS_READER, "GET", ["Consent"], query).catch(() => undefined),
      ]);
      const byId = new Map<string, Json>();
      for (const r of [...entriesOf(own), ...(server ? entriesOf(server) : [])]) byId.set(String(r.id), r);
      // Only Consents naming this practitioner, newest first, whatever either answer held.
      const mine = [...byId.values()]
        .map(summarizeConsent)
        .filter((s) => s.actors.some((a) => a.reference === actor.fhirUser))
        .sort((x, y) => (y.lastUpdated ?? "").localeCompare(x.lastUpdated ?? ""))
        .slice(0, MAX_CONSENTS_LISTED);
      for (const s of mine) s.actors = s.actors.filter((a) => a.reference === actor.fhirUser);
      return nameActors(actor, mine, actor.fhirUser);
    },

    async recordsOf(user, patientId): Promise<PatientRecords | undefined> {
      const actor = practitionerActor(user);
      const id = checkId(patientId);
      let patient: Json | undefined;
      try {
        patient = (await call(actor, "GET", ["Patient", id])).resource;
      } catch (error) {
        // A hidden record answers like an absent one; the page says the same for both.
        if (!(error instanceof FhirLedgerError && HIDDEN.has(error.code))) throw error;
      }
      if (!patient) return recordsByKind(actor, id);
      const response = await call(actor, "GET", ["Patient", id, "$everything"], { _count: String(MAX_RECORDS_LISTED) });
      const resources = entriesOf(response)
        .filter((r) => !(r.resourceType === "Patient" && r.id === id))
        .slice(0, MAX_RECORDS_LISTED)
        .map((r) => recordLine(r));
      return { id, name: resourceName(patient) ?? id, resources, truncated: hasNext(response) };
    },

    async breakGlass(user, input) {
      const actor = practitionerActor(user);
      const patientId = checkId(input.patient);
      const reason = input.reason.trim();
      if (reason === "") throw new FhirLedgerError("invalid", "Give the reason for emergency access.");
      if (reason.length > MAX_REASON_LENGTH)
        throw new FhirLedgerError("invalid", `The reason is at most ${MAX_REASON_LENGTH} characters.`);
      if (!PURPOSES.has(input.purpose)) throw new FhirLedgerError("invalid", "Choose a purpose of use from the list.");
      if (
        input.minutes !== undefined &&
        (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > MAX_BREAK_GLASS_MINUTES)
      )
        throw new FhirLedgerError("invalid", `Minutes must be a whole number from 1 to ${MAX_BREAK_GLASS_MINUTES}.`);
      const parameters = {
        resourceType: "Parameters",
        parameter: [
          { name: "reason", valueString: reason },
          { name: "purpose", valueCode: input.purpose },
          ...(input.minutes === undefined ? [] : [{ name: "minutes", valueInteger: input.minutes }]),
        ],
      };
      const response = await call(actor, "POST", ["Patient", patientId, "$break-glass"], {}, { body: parameters });
      const consent = (response.resource ?? {}) as Json;
      const end = ((consent.provision as Json | undefined)?.period as Json | undefined)?.end;
      const consentId = String(consent.id ?? response.version?.id ?? "");
      return { consentId, ...(typeof end === "string" ? { end } : {}) };
    },
  };
}

/** One resource of a patient's record in a line: its reference, a label (code or name), its date. */
function recordLine(r: Json): PatientRecords["resources"][number] {
  const code = (r.code ?? r.vaccineCode ?? r.medicationCodeableConcept ?? r.type) as Json | undefined;
  const coding = Array.isArray(code?.coding) ? (code.coding as Json[])[0] : undefined;
  const label =
    (typeof code?.text === "string" ? code.text : undefined) ??
    (typeof coding?.display === "string" ? coding.display : undefined) ??
    (typeof coding?.code === "string" ? coding.code : undefined) ??
    resourceName(r) ??
    "";
  const date = [
    r.effectiveDateTime,
    r.onsetDateTime,
    r.authoredOn,
    r.recordedDate,
    r.date,
    r.issued,
    r.occurrenceDateTime,
  ].find((d): d is string => typeof d === "string");
  const type = String(r.resourceType);
  return { reference: `${type}/${String(r.id)}`, type, label: label.slice(0, 200), ...(date ? { date } : {}) };
}
