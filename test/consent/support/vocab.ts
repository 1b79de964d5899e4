/** The code systems and values the generated worlds draw from (consent-spec.md names the systems). */
export const SYS = {
  scope: "http://terminology.hl7.org/CodeSystem/consentscope",
  action: "http://terminology.hl7.org/CodeSystem/consentaction",
  types: "http://hl7.org/fhir/resource-types",
  actReason: "http://terminology.hl7.org/CodeSystem/v3-ActReason",
  confidentiality: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  loinc: "http://loinc.org",
  snomed: "http://snomed.info/sct",
  category: "http://terminology.hl7.org/CodeSystem/observation-category",
  group: "urn:proof:group",
} as const;

export const PATIENTS = ["p1", "p2", "p3"] as const;
export const PRACTITIONERS = ["dr1", "dr2", "dr3"] as const;
export const ORGANIZATIONS = ["org1", "org2"] as const;
export const FAMILIES = ["Ash", "Birch"] as const;

/** Clinical types kept in patient compartments; Encounter and DocumentReference define no `code` search parameter. */
export const CLINICAL = ["Observation", "Condition", "Encounter", "MedicationRequest", "DocumentReference"] as const;
export type ClinicalType = (typeof CLINICAL)[number];
export const HAS_CODE_PARAM: ReadonlySet<string> = new Set(["Observation", "Condition", "MedicationRequest"]);

/** Codes as `system|code`; two systems share one code value so a system mix-up shows. */
export const CODES = [`${SYS.loinc}|1111-1`, `${SYS.loinc}|2222-2`, `${SYS.snomed}|1111-1`] as const;
/** Security labels as `system|code`. */
export const LABELS = [`${SYS.confidentiality}|R`, `${SYS.confidentiality}|N`, `${SYS.actCode}|PSY`] as const;
export const CATEGORIES = ["laboratory", "vital-signs"] as const;
export const GROUPS = ["g1", "g2", "g3"] as const;
export const PURPOSES = ["TREAT", "ETREAT", "HPAYMT"] as const;
export const ACTIONS = ["access", "correct", "use"] as const;
export const STATUSES = ["active", "draft", "proposed", "rejected", "inactive", "entered-in-error"] as const;

export const DAY = 86_400_000;

export function split(systemCode: string): { system: string; code: string } {
  const bar = systemCode.lastIndexOf("|");
  return { system: systemCode.slice(0, bar), code: systemCode.slice(bar + 1) };
}
