import { afterAll, beforeAll } from "vitest";
import type { Actor } from "../../auth/Actor.ts";
import { entriesOf, type ScopedEngine, scopedEngine } from "../../policy/testSupport/scopedEngine.ts";
import type { FhirResource } from "../../records/RecordRepository.ts";
import { type ConsentAccessOptions, consentAccess } from "../consentAccess.ts";
import { engineConsentSource } from "./engineConsentSource.ts";
import { storedReferences } from "../storedReferences.ts";

export const SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
export const LOINC = "http://loinc.org";
export const CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

/** A Consent counting for `patient` (active, patient-privacy) with this root provision. */
export function consent(
  id: string,
  patient: string,
  provision: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): FhirResource {
  return {
    resourceType: "Consent",
    id,
    status: "active",
    scope: { coding: [{ system: SCOPE, code: "patient-privacy" }] },
    category: [{ coding: [{ system: LOINC, code: "59284-0" }] }],
    patient: { reference: `Patient/${patient}` },
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    provision,
    ...extra,
  };
}

/** `provision.actor` entries for these references (R4 requires a role; the core does not read it). */
export const actor = (...refs: string[]) =>
  refs.map((reference) => ({
    role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PRCP" }] },
    reference: { reference },
  }));

/** The fixture: three patients, their observations (one restricted), a report, a shared Medication. */
export function baseData(): FhirResource[] {
  const obs = (id: string, patient: string, code: string, extra: Record<string, unknown> = {}): FhirResource => ({
    resourceType: "Observation",
    id,
    status: "final",
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patient}` },
    identifier: [{ system: "urn:obs", value: id }],
    ...extra,
  });
  return [
    { resourceType: "Patient", id: "p1", name: [{ family: "One" }] },
    { resourceType: "Patient", id: "p2", name: [{ family: "Two" }] },
    { resourceType: "Patient", id: "p3", name: [{ family: "Three" }] },
    { resourceType: "Practitioner", id: "pr1" },
    { resourceType: "Medication", id: "med1", code: { text: "aspirin" } },
    obs("o1", "p1", "1"),
    obs("o2", "p1", "2", { meta: { security: [{ system: CONFIDENTIALITY, code: "R" }] } }),
    obs("o3", "p2", "1"),
    obs("o4", "p3", "1"),
    { resourceType: "Condition", id: "c1", subject: { reference: "Patient/p1" } },
    { resourceType: "Condition", id: "c2", subject: { reference: "Patient/p2" } },
    {
      resourceType: "DiagnosticReport",
      id: "dr1",
      status: "final",
      code: { text: "panel" },
      subject: { reference: "Patient/p1" },
      result: [{ reference: "Observation/o1" }],
    },
    {
      resourceType: "MedicationRequest",
      id: "mr1",
      status: "active",
      intent: "order",
      medicationReference: { reference: "Medication/med1" },
      subject: { reference: "Patient/p1" },
    },
  ];
}

export const dr1: Actor = { id: "u-pr1", role: "practitioner", fhirUser: "Practitioner/pr1", scopes: ["user/*.*"] };
export const dr2: Actor = { id: "u-pr2", role: "practitioner", fhirUser: "Practitioner/pr2", scopes: ["user/*.*"] };
export const dr3: Actor = { id: "u-pr3", role: "practitioner", fhirUser: "Practitioner/pr3", scopes: ["user/*.*"] };
export const patient1: Actor = {
  id: "u-p1",
  role: "patient",
  patient: "p1",
  fhirUser: "Patient/p1",
  scopes: ["patient/*.*"],
};
export const SYSTEM: Actor = { id: "sys", role: "system", clientId: "ehr", scopes: ["system/*.*"] };

export interface World {
  e: ScopedEngine;
  /** `type/id` of a search's matches and its total */
  search(who: Actor, path: string): Promise<{ status: number; total: unknown; match: string[]; include: string[] }>;
}

/**
 * A fresh engine under smartAccess ∩ consent with the base data and `consents`, for one describe
 * block. pr2 holds PractitionerRole/role2 at Organization/org1; pr3 is in CareTeam/ct1.
 */
export function consentWorld(
  consents: FhirResource[],
  options: Partial<ConsentAccessOptions> & { purpose?: Record<string, string>; readers?: boolean } = {},
): { get w(): World } {
  const holder = {} as { w: World };
  beforeAll(async () => {
    let engine: ScopedEngine | undefined;
    const source = engineConsentSource(() => engine!, {
      memberships: {
        "Practitioner/pr2": ["PractitionerRole/role2", "Organization/org1"],
        "Practitioner/pr3": ["CareTeam/ct1"],
      },
      ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
    });
    const e = await scopedEngine({
      ...(options.readers ? { readers: true } : {}),
      access: (smart) =>
        consentAccess(smart, source, {
          defaultDecision: options.defaultDecision ?? "deny",
          bindsClients: options.bindsClients ?? [],
          ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
          ...(options.now === undefined ? {} : { now: options.now }),
          ...(options.wallet === undefined ? {} : { wallet: options.wallet }),
          referencesOf: (ref) => storedReferences(engine!)(ref),
        }),
    });
    engine = e;
    await e.put(...baseData(), ...consents);
    holder.w = {
      e,
      async search(who, path) {
        const a = await e.call(who, "GET", path);
        return { status: a.status, total: a.resource?.total, ...entriesOf(a.resource) };
      },
    };
  });
  afterAll(async () => {
    await holder.w.e.close();
  });
  return holder;
}
