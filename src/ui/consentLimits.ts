/** Limits the consent pages and their port (src/server/consentPortal) share: each a cap on what a form can send. */

/** Access-log pages beyond this are refused: 20 a page, and the engine's _offset stops at 10,000. */
export const MAX_ACCESS_LOG_PAGE = 500;
/** The break-glass reason, as $break-glass takes it. */
export const MAX_REASON_LENGTH = 1000;
/** Kinds of records one access request may name. */
export const MAX_CLASSES = 30;
/** The longest break-glass a form may ask for; the server's own maximum (default 60) may be lower. */
export const MAX_BREAK_GLASS_MINUTES = 1440;
/** v3-ActReason purposes of use a break-glass may name. */
export const BREAK_GLASS_PURPOSES: readonly { code: string; words: string }[] = [
  { code: "ETREAT", words: "Emergency treatment" },
  { code: "BTG", words: "Break the glass" },
  { code: "ERTREAT", words: "Emergency room treatment" },
];
/** Kinds of records an access request offers to limit itself to (patient-compartment resource types). */
export const REQUESTABLE_CLASSES: readonly { type: string; words: string }[] = [
  { type: "Observation", words: "Observations (results, vital signs)" },
  { type: "Condition", words: "Conditions (diagnoses)" },
  { type: "MedicationRequest", words: "Prescriptions" },
  { type: "AllergyIntolerance", words: "Allergies" },
  { type: "Immunization", words: "Immunizations" },
  { type: "Procedure", words: "Procedures" },
  { type: "Encounter", words: "Encounters (visits)" },
  { type: "DiagnosticReport", words: "Diagnostic reports" },
  { type: "DocumentReference", words: "Documents" },
  { type: "CarePlan", words: "Care plans" },
];
