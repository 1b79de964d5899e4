import fc from "fast-check";
import type { FhirResource } from "../../../src/records/RecordRepository.ts";
import {
  ACTIONS,
  CATEGORIES,
  CLINICAL,
  type ClinicalType,
  CODES,
  DAY,
  FAMILIES,
  GROUPS,
  LABELS,
  ORGANIZATIONS,
  PATIENTS,
  PRACTITIONERS,
  PURPOSES,
  STATUSES,
  SYS,
  split,
} from "./vocab.ts";

/*
 * Generated worlds: a small population (3 patients, 3 practitioners, 2 organizations), the
 * PractitionerRoles and CareTeams that make memberships, clinical resources in compartments
 * (and one outside any), consents of every shape consent-spec.md gives meaning to, and the
 * callers that read them. A world is a plain value (its spec) rendered to FHIR resources, so
 * fast-check can shrink it and a counterexample prints as data.
 */

export type PeriodKind = "none" | "past" | "current" | "future" | "openStart" | "openEnd" | "expired";

/** A reference to a world resource by position among the clinical ones, or a fixed key. */
export type RefSpec = { clinical: number } | { key: string };

export interface ClinicalSpec {
  type: ClinicalType;
  /** null: no patient reference at all (a resource in no compartment) */
  patient: (typeof PATIENTS)[number] | null;
  code: string;
  label: string | null;
  category: string;
  group: string;
  encounter: number | null;
  ref: number | null;
  performer: string | null;
}

export interface ProvisionSpec {
  type: "permit" | "deny" | null;
  actor: string[] | null;
  action: string[] | null;
  period: PeriodKind;
  class: { system: string | null; code: string }[] | null;
  code: string[] | null;
  securityLabel: string[] | null;
  purpose: string[] | null;
  data: { meaning: "instance" | "related" | "dependents" | "authoredby"; ref: RefSpec }[] | null;
  /** an element the spec does not list (dataPeriod): a permit carrying it never matches, a deny ignores it */
  unknown: boolean;
  provision: ProvisionSpec[];
}

export interface ConsentSpec {
  patient: (typeof PATIENTS)[number];
  status: (typeof STATUSES)[number];
  scopeOk: boolean;
  root: ProvisionSpec | null;
  /** a break-glass consent ($break-glass output): BTG label, permit, the practitioner as actor */
  btg: boolean;
}

export interface CallerSpec {
  kind: "practitioner" | "patient" | "system";
  /** practitioner id, patient id, or client id */
  who: string;
  scopes: string;
  purpose: string;
}

/** A conditional update `PUT Observation?identifier=group|g` one caller makes after the reads. */
export interface WriteSpec {
  caller: number;
  patient: (typeof PATIENTS)[number];
  group: string;
  /** a clinical resource (index) to aim at through its own identifier instead of a group */
  target: number | null;
  code: string;
  label: string | null;
}

export interface WorldSpec {
  families: string[];
  patientLabels: (string | null)[];
  roles: { practitioner: string; organization: string; active: boolean | null }[];
  careTeams: { patient: string; status: "active" | "inactive" | null; members: string[] }[];
  clinical: ClinicalSpec[];
  consents: ConsentSpec[];
  callers: CallerSpec[];
  writes: WriteSpec[];
  defaultDecision: "deny" | "permit";
  bindsClients: "*" | string[];
}

/** Fixed once per run: periods are days away from it, so the time a request takes never flips one. */
export const NOW = Date.now();

const maybe = <T>(arb: fc.Arbitrary<T>, freq = 3): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: freq, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const ACTOR_REFS = [
  ...PRACTITIONERS.map((p) => `Practitioner/${p}`),
  "PractitionerRole/role0",
  "PractitionerRole/role1",
  "PractitionerRole/role2",
  ...ORGANIZATIONS.map((o) => `Organization/${o}`),
  "CareTeam/ct0",
  "CareTeam/ct1",
  "RelatedPerson/rp1",
  "Practitioner/stranger",
];

const TYPES_FOR_CLASS = [...CLINICAL, "Patient", "Consent", "CareTeam", "RelatedPerson"];

const periodArb: fc.Arbitrary<PeriodKind> = fc.constantFrom(
  "none",
  "none",
  "none",
  "past",
  "current",
  "current",
  "future",
  "openStart",
  "openEnd",
  "expired",
);

const refArb: fc.Arbitrary<RefSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(40).map((clinical) => ({ clinical })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...PATIENTS.map((p) => `Patient/${p}`), "Observation/none").map((key) => ({ key })),
  },
);

function provisionArb(depth: number): fc.Arbitrary<ProvisionSpec> {
  return fc.record({
    type: depth === 0 ? fc.constantFrom(null, "permit", "permit", "deny") : fc.constantFrom(null, "permit", "deny"),
    actor: maybe(
      fc.uniqueArray(
        fc.oneof(fc.constantFrom(...PRACTITIONERS.map((p) => `Practitioner/${p}`)), fc.constantFrom(...ACTOR_REFS)),
        { minLength: 1, maxLength: 3 },
      ),
      1,
    ),
    action: maybe(fc.uniqueArray(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 2 })),
    period: depth === 0 ? fc.constant<PeriodKind>("none") : periodArb,
    class: maybe(
      fc.array(
        fc.record({
          system: fc.constantFrom<string | null>(SYS.types, SYS.types, null, "urn:other"),
          code: fc.constantFrom(...TYPES_FOR_CLASS),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    ),
    code: maybe(fc.uniqueArray(fc.constantFrom(...CODES), { minLength: 1, maxLength: 2 }), 4),
    securityLabel: maybe(fc.uniqueArray(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 2 }), 4),
    purpose: maybe(fc.uniqueArray(fc.constantFrom(...PURPOSES), { minLength: 1, maxLength: 2 }), 5),
    data: maybe(
      fc.array(
        fc.record({
          meaning: fc.constantFrom(
            "instance",
            "related",
            "related",
            "dependents",
            "dependents",
            "authoredby",
          ) as fc.Arbitrary<"instance" | "related" | "dependents" | "authoredby">,
          ref: refArb,
        }),
        { minLength: 1, maxLength: 2 },
      ),
      4,
    ),
    unknown: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
    provision: depth >= 2 ? fc.constant([]) : fc.array(provisionArb(depth + 1), { maxLength: depth === 0 ? 3 : 2 }),
  });
}

const consentArb: fc.Arbitrary<ConsentSpec> = fc.record({
  patient: fc.constantFrom(...PATIENTS),
  status: fc.oneof(
    { weight: 4, arbitrary: fc.constant("active" as const) },
    { weight: 1, arbitrary: fc.constantFrom(...STATUSES) },
  ),
  scopeOk: fc.constantFrom(true, true, true, true, false),
  root: fc.oneof({ weight: 12, arbitrary: provisionArb(0) }, { weight: 1, arbitrary: fc.constant(null) }),
  btg: fc.constantFrom(false, false, false, false, false, true),
});

export const clinicalArb: fc.Arbitrary<ClinicalSpec> = fc.record({
  type: fc.constantFrom("Observation", "Observation", ...CLINICAL),
  patient: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...PATIENTS) },
    { weight: 1, arbitrary: fc.constant(null) },
  ) as fc.Arbitrary<(typeof PATIENTS)[number] | null>,
  code: fc.constantFrom(...CODES),
  label: maybe(fc.constantFrom(...LABELS), 2),
  category: fc.constantFrom(...CATEGORIES),
  group: fc.constantFrom("g1", "g1", "g1", ...GROUPS),
  encounter: maybe(fc.nat(40), 1),
  ref: maybe(fc.nat(40), 1),
  performer: maybe(fc.constantFrom(...PRACTITIONERS), 1),
});

const callerArb: fc.Arbitrary<CallerSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("practitioner" as const),
      who: fc.constantFrom(...PRACTITIONERS),
      scopes: fc.constantFrom(
        "user/*.rs",
        "user/*.cruds",
        "user/*.cruds",
        `user/Observation.rs?category=${SYS.category}|laboratory user/Patient.rs user/Condition.rs user/Consent.rs user/Practitioner.rs`,
      ),
      purpose: fc.constantFrom("TREAT", "TREAT", "TREAT", "ETREAT", "HPAYMT"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("patient" as const),
      who: fc.constantFrom(...PATIENTS),
      scopes: fc.constantFrom("patient/*.rs", "patient/*.cruds", "patient/*.cruds"),
      purpose: fc.constant("TREAT"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("system" as const),
      who: fc.constantFrom("c-bound", "c-free"),
      scopes: fc.constantFrom("system/*.rs", "system/*.cruds"),
      purpose: fc.constantFrom("TREAT", "HPAYMT"),
    }),
  },
);

export const worldArb: fc.Arbitrary<WorldSpec> = fc.record({
  families: fc.array(fc.constantFrom(...FAMILIES), { minLength: 3, maxLength: 3 }),
  patientLabels: fc.array(maybe(fc.constantFrom(...LABELS), 2), { minLength: 3, maxLength: 3 }),
  roles: fc.array(
    fc.record({
      practitioner: fc.constantFrom(...PRACTITIONERS),
      organization: fc.constantFrom(...ORGANIZATIONS),
      active: fc.constantFrom<boolean | null>(true, null, false),
    }),
    { maxLength: 3 },
  ),
  careTeams: fc.array(
    fc.record({
      patient: fc.constantFrom(...PATIENTS),
      status: fc.constantFrom<"active" | "inactive" | null>("active", null, "inactive"),
      members: fc.uniqueArray(fc.constantFrom(...PRACTITIONERS.map((p) => `Practitioner/${p}`), "RelatedPerson/rp1"), {
        maxLength: 2,
      }),
    }),
    { maxLength: 2 },
  ),
  clinical: fc.array(clinicalArb, { minLength: 3, maxLength: 14 }),
  consents: fc.array(consentArb, { minLength: 1, maxLength: 10 }),
  callers: fc.array(callerArb, { minLength: 3, maxLength: 6 }),
  writes: fc.array(
    fc.record({
      caller: fc.nat(5),
      patient: fc.constantFrom(...PATIENTS),
      group: fc.constantFrom(...GROUPS, "g4"),
      target: maybe(fc.nat(40), 1),
      code: fc.constantFrom(...CODES),
      label: maybe(fc.constantFrom(...LABELS), 2),
    }),
    { minLength: 2, maxLength: 6 },
  ),
  defaultDecision: fc.constantFrom("deny", "deny", "permit"),
  bindsClients: fc.constantFrom<"*" | string[]>("*", ["c-bound"], []),
});

const iso = (ms: number) => new Date(ms).toISOString();

export function renderPeriod(kind: PeriodKind): { start?: string; end?: string } | undefined {
  switch (kind) {
    case "none":
      return undefined;
    case "past":
      return { start: iso(NOW - 30 * DAY), end: iso(NOW - 10 * DAY) };
    case "current":
      return { start: iso(NOW - 10 * DAY), end: iso(NOW + 10 * DAY) };
    case "future":
      return { start: iso(NOW + 10 * DAY), end: iso(NOW + 30 * DAY) };
    case "openStart":
      return { end: iso(NOW + 10 * DAY) };
    case "openEnd":
      return { start: iso(NOW - 10 * DAY) };
    case "expired":
      return { end: iso(NOW - 10 * DAY) };
  }
}

const IRCP = { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] };
const coding = (systemCode: string) => split(systemCode);

/** The key `Type/id` of clinical resource i. */
export const clinicalKey = (spec: WorldSpec, i: number) => `${spec.clinical[i]!.type}/${clinicalId(spec, i)}`;
const clinicalId = (spec: WorldSpec, i: number) => `${spec.clinical[i]!.type.slice(0, 3).toLowerCase()}${i}`;

export function resolveRef(spec: WorldSpec, ref: RefSpec): string {
  if ("key" in ref) return ref.key;
  return clinicalKey(spec, ref.clinical % spec.clinical.length);
}

/** The index among clinical resources of the n-th (mod count) one of `types`, or null when there is none. */
function nth(spec: WorldSpec, n: number, types: readonly string[], not: number): number | null {
  const candidates = spec.clinical.map((c, i) => (types.includes(c.type) && i !== not ? i : -1)).filter((i) => i >= 0);
  return candidates.length === 0 ? null : candidates[n % candidates.length]!;
}

/** Clinical resource i of `spec` as FHIR (references resolve among `spec`'s clinical resources). */
export function renderClinical(spec: WorldSpec, i: number): FhirResource {
  const c = spec.clinical[i]!;
  const id = clinicalId(spec, i);
  const meta = c.label ? { meta: { security: [coding(c.label)] } } : {};
  const subject = c.patient ? { subject: { reference: `Patient/${c.patient}` } } : {};
  const identifier = [
    { system: SYS.group, value: c.group },
    { system: "urn:proof:id", value: id },
  ];
  const concept = { coding: [coding(c.code)] };
  const enc = c.encounter === null ? null : nth(spec, c.encounter, ["Encounter"], i);
  const encounterRef = enc === null ? {} : { encounter: { reference: clinicalKey(spec, enc) } };
  const ref = (types: readonly string[]) => (c.ref === null ? null : nth(spec, c.ref, types, i));
  switch (c.type) {
    case "Observation": {
      const member = ref(["Observation", "DocumentReference"]);
      return {
        resourceType: "Observation",
        id,
        ...meta,
        identifier,
        status: "final",
        category: [{ coding: [{ system: SYS.category, code: c.category }] }],
        code: concept,
        ...subject,
        ...encounterRef,
        ...(c.performer ? { performer: [{ reference: `Practitioner/${c.performer}` }] } : {}),
        ...(member === null
          ? {}
          : spec.clinical[member]!.type === "Observation"
            ? { hasMember: [{ reference: clinicalKey(spec, member) }] }
            : { derivedFrom: [{ reference: clinicalKey(spec, member) }] }),
      };
    }
    case "Condition": {
      const detail = ref(CLINICAL);
      return {
        resourceType: "Condition",
        id,
        ...meta,
        identifier,
        code: concept,
        ...(c.patient ? subject : { subject: { reference: "Group/nobody" } }),
        ...encounterRef,
        ...(detail === null ? {} : { evidence: [{ detail: [{ reference: clinicalKey(spec, detail) }] }] }),
      };
    }
    case "Encounter": {
      const reason = ref(["Condition", "Observation"]);
      return {
        resourceType: "Encounter",
        id,
        ...meta,
        identifier,
        status: c.category === "laboratory" ? "finished" : "in-progress",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
        ...subject,
        ...(reason === null ? {} : { reasonReference: [{ reference: clinicalKey(spec, reason) }] }),
      };
    }
    case "MedicationRequest":
      return {
        resourceType: "MedicationRequest",
        id,
        ...meta,
        identifier,
        status: "active",
        intent: "order",
        medicationCodeableConcept: concept,
        ...(c.patient ? subject : { subject: { reference: "Group/nobody" } }),
        ...encounterRef,
        ...(c.performer ? { requester: { reference: `Practitioner/${c.performer}` } } : {}),
      };
    case "DocumentReference": {
      const related = ref(CLINICAL);
      const context = {
        ...(enc === null ? {} : { encounter: [{ reference: clinicalKey(spec, enc) }] }),
        ...(related === null ? {} : { related: [{ reference: clinicalKey(spec, related) }] }),
      };
      return {
        resourceType: "DocumentReference",
        id,
        ...meta,
        identifier,
        status: "current",
        content: [{ attachment: { contentType: "text/plain", url: `urn:proof:doc:${id}` } }],
        ...subject,
        ...(Object.keys(context).length > 0 ? { context } : {}),
      };
    }
  }
}

/** A provision as FHIR; one with no element at all states its (inherited) type, as `{}` is not valid FHIR. */
function renderProvision(spec: WorldSpec, p: ProvisionSpec, inherited: "permit" | "deny"): Record<string, unknown> {
  const period = renderPeriod(p.period);
  const own = p.type ?? inherited;
  const out: Record<string, unknown> = {
    ...(p.type ? { type: p.type } : {}),
    ...(period ? { period } : {}),
    ...(p.actor
      ? {
          actor: p.actor.map((reference) => ({
            role: IRCP,
            reference: { reference },
          })),
        }
      : {}),
    ...(p.action ? { action: p.action.map((code) => ({ coding: [{ system: SYS.action, code }] })) } : {}),
    ...(p.securityLabel ? { securityLabel: p.securityLabel.map(coding) } : {}),
    ...(p.purpose ? { purpose: p.purpose.map((code) => ({ system: SYS.actReason, code })) } : {}),
    ...(p.class
      ? { class: p.class.map((c) => (c.system === null ? { code: c.code } : { system: c.system, code: c.code })) }
      : {}),
    ...(p.code ? { code: p.code.map((c) => ({ coding: [coding(c)] })) } : {}),
    ...(p.unknown ? { dataPeriod: { start: iso(NOW - 400 * DAY) } } : {}),
    ...(p.data
      ? { data: p.data.map((d) => ({ meaning: d.meaning, reference: { reference: resolveRef(spec, d.ref) } })) }
      : {}),
    ...(p.provision.length > 0 ? { provision: p.provision.map((c) => renderProvision(spec, c, own)) } : {}),
  };
  return Object.keys(out).length === 0 ? { type: own } : out;
}

function renderConsent(spec: WorldSpec, c: ConsentSpec, i: number, btgActor: string): FhirResource {
  const base = {
    resourceType: "Consent",
    id: `consent${i}`,
    status: c.status,
    scope: {
      coding: [{ system: SYS.scope, code: c.scopeOk ? "patient-privacy" : "research" }],
    },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: `Patient/${c.patient}` },
    dateTime: iso(NOW - 40 * DAY),
    policyRule: { coding: [{ system: SYS.actCode, code: "OPTIN" }] },
  };
  if (c.btg)
    return {
      ...base,
      meta: { security: [{ system: SYS.actReason, code: "BTG" }] },
      provision: {
        type: "permit",
        period: renderPeriod(c.root?.period === "none" ? "current" : (c.root?.period ?? "past")),
        actor: [{ role: IRCP, reference: { reference: `Practitioner/${btgActor}` } }],
        purpose: [{ system: SYS.actReason, code: "ETREAT" }],
      },
    };
  return { ...base, ...(c.root ? { provision: renderProvision(spec, c.root, "permit") } : {}) };
}

/** A world's resources in writing order, and who calls. */
export interface World {
  spec: WorldSpec;
  resources: FhirResource[];
}

export function renderWorld(spec: WorldSpec): World {
  const resources: FhirResource[] = [];
  PATIENTS.forEach((p, i) => {
    const label = spec.patientLabels[i];
    resources.push({
      resourceType: "Patient",
      id: p,
      ...(label ? { meta: { security: [coding(label)] } } : {}),
      name: [{ family: spec.families[i] }],
    });
  });
  for (const p of PRACTITIONERS) resources.push({ resourceType: "Practitioner", id: p, name: [{ family: p }] });
  for (const o of ORGANIZATIONS) resources.push({ resourceType: "Organization", id: o, name: o });
  spec.roles.forEach((r, i) =>
    resources.push({
      resourceType: "PractitionerRole",
      id: `role${i}`,
      ...(r.active === null ? {} : { active: r.active }),
      practitioner: { reference: `Practitioner/${r.practitioner}` },
      organization: { reference: `Organization/${r.organization}` },
    }),
  );
  resources.push({ resourceType: "RelatedPerson", id: "rp1", patient: { reference: "Patient/p1" } });
  spec.careTeams.forEach((t, i) =>
    resources.push({
      resourceType: "CareTeam",
      id: `ct${i}`,
      ...(t.status === null ? {} : { status: t.status }),
      subject: { reference: `Patient/${t.patient}` },
      participant: t.members.map((reference) => ({ member: { reference } })),
    }),
  );
  spec.clinical.forEach((_, i) => resources.push(renderClinical(spec, i)));
  spec.consents.forEach((c, i) => resources.push(renderConsent(spec, c, i, PRACTITIONERS[i % PRACTITIONERS.length]!)));
  return { spec, resources };
}

/** A second version of a clinical resource: another label (or none) and another code. */
export const versionArb = fc.record({
  clinical: fc.nat(40),
  label: maybe(fc.constantFrom(...LABELS), 1),
  code: fc.constantFrom(...CODES),
});
