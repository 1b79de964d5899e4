import type { AuditEventJson, AuditOutcome, AuditParty } from "./balpEvent.ts";
import { balpEvent } from "./balpEvent.ts";
import { PROFILE, RESTFUL_INTERACTION, TYPE_REST } from "./codes.ts";

/** The four RESTful kinds BALP profiles, and the profile pair (without, with patient) of each. */
const KINDS = {
  create: { action: "C", plain: PROFILE.create, patient: PROFILE.patientCreate },
  read: { action: "R", plain: PROFILE.read, patient: PROFILE.patientRead },
  update: { action: "U", plain: PROFILE.update, patient: PROFILE.patientUpdate },
  delete: { action: "D", plain: PROFILE.delete, patient: PROFILE.patientDelete },
} as const;

export type RestKind = keyof typeof KINDS;

export interface RestAuditInput extends AuditParty {
  kind: RestKind;
  /** The restful-interaction code (read, vread, update, patch, create, delete). */
  interaction: string;
  /** "Type/id" (or "Type/id/_history/v") acted on, when known. */
  what?: string;
  /** The patient compartments of the resource ("Patient/<id>"): the Patient variant when there is one. */
  patients?: readonly string[];
  outcome: AuditOutcome;
  outcomeDesc?: string;
  breakGlass?: boolean;
}

/**
 * A BALP RESTful create/read/update/delete event, its Patient variant when the resource is in
 * a patient's compartment (the patient as an entity).
 * @see https://profiles.ihe.net/ITI/BALP/StructureDefinition-IHE.BasicAudit.Read.html
 * @see https://profiles.ihe.net/ITI/BALP/StructureDefinition-IHE.BasicAudit.PatientRead.html
 */
export function restAuditEvent(input: RestAuditInput): AuditEventJson {
  const kind = KINDS[input.kind];
  const patients = input.patients ?? [];
  return balpEvent({
    ...input,
    profiles: [patients.length > 0 ? kind.patient : kind.plain],
    type: TYPE_REST,
    subtype: [{ system: RESTFUL_INTERACTION, code: input.interaction }],
    action: kind.action,
    patients,
  });
}

export interface QueryAuditInput extends AuditParty {
  /** search-type, search-system, history-*, or an operation answered with a Bundle. */
  interaction: string;
  /** The request as sent: method, path and query string ("GET /Observation?code=x"). */
  rawRequest: string;
  /** The patients whose resources the answer holds ("Patient/<id>"), without repeats. */
  patients: readonly string[];
  outcome: AuditOutcome;
  outcomeDesc?: string;
  breakGlass?: boolean;
  /** Further subtype codings (an operation's name). */
  extraSubtype?: readonly { system: string; code: string }[];
}

/** The most per-patient events one query produces; past it one more event names all the rest. */
export const MAX_PATIENT_EVENTS = 1000;

/**
 * BALP Query events: action E, the raw request as the query entity, and ONE event per patient
 * whose data the answer holds (PatientQuery), so a patient's access log finds every query that
 * returned their data; a query that returned no patient's data is one Query event.
 * @see https://profiles.ihe.net/ITI/BALP/StructureDefinition-IHE.BasicAudit.PatientQuery.html
 */
export function queryAuditEvents(input: QueryAuditInput): AuditEventJson[] {
  const common = {
    ...input,
    type: TYPE_REST,
    subtype: [{ system: RESTFUL_INTERACTION, code: input.interaction }, ...(input.extraSubtype ?? [])],
    action: "E" as const,
    query: input.rawRequest,
  };
  const patients = [...new Set(input.patients)];
  if (patients.length === 0) return [balpEvent({ ...common, profiles: [PROFILE.query] })];
  const shown = patients.slice(0, MAX_PATIENT_EVENTS);
  const events = shown.map((patient) =>
    balpEvent({ ...common, profiles: [PROFILE.patientQuery], patients: [patient] }),
  );
  if (patients.length > shown.length)
    events.push(
      balpEvent({
        ...common,
        profiles: [PROFILE.query],
        // still found by `AuditEvent?patient=` for each of them: one event naming them all
        patients: patients.slice(shown.length),
      }),
    );
  return events;
}
