/** Who is calling, as every layer below HTTP sees it. */
export interface Actor {
  /** Stable subject id (user or client). */
  id: string;
  role: "admin" | "practitioner" | "patient" | "auditor" | "system" | "anonymous";
  /** SMART scopes granted to the token, e.g. "system/*.*", "patient/Observation.read". */
  scopes: string[];
  /**
   * The patient in context: for patient users the Patient id they are; for a practitioner's
   * app launched with a patient, that patient. `patient/` scopes are confined to its compartment.
   */
  patient?: string;
  /** The OAuth client the token was issued to (SMART tokens). */
  clientId?: string;
  /** The user's own FHIR resource, "Patient/123" or "Practitioner/9" (SMART fhirUser). */
  fhirUser?: string;
  /** The Encounter id of the token's launch context. */
  encounter?: string;
  /** The access token's jti: names the token in audit records without holding it. */
  tokenId?: string;
  /** The purpose of use (v3 ActReason code) the request acts under; absent: TREAT. Break-glass sets ETREAT. */
  purposeOfUse?: string;
}

/** The caller of a public interaction (the CapabilityStatement) who sent no valid credentials. */
export const ANONYMOUS: Actor = Object.freeze({ id: "anonymous", role: "anonymous", scopes: [] }) as Actor;

/** Turns a bearer token into an actor; throws FhirLedgerError "unauthorized" otherwise. */
export type Authenticator = (authorization: string | undefined) => Promise<Actor>;
