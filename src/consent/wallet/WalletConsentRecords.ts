/** A Consent as stored: its id, current version and content. */
export interface StoredConsent {
  id: string;
  versionId: number;
  resource: Record<string, unknown>;
}

/** Whose Consents: the signed-in account (named as the agent of every access) and its patient. */
export interface ConsentOwner {
  userId: string;
  /** "Patient/P". */
  patient: string;
}

/**
 * How the wallet flows read and write a patient's Consents: as that patient, through the FHIR
 * engine's one door (so consent rules, validation, audit and anchoring apply as to any write).
 * `engineConsentRecords` is the implementation.
 */
export interface WalletConsentRecords {
  /** The patient's Consents (scope patient-privacy), newest first, at most `max`. */
  list(owner: ConsentOwner, max: number): Promise<StoredConsent[]>;
  /** One of the patient's Consents; undefined when absent, deleted or not in the patient's compartment. */
  get(owner: ConsentOwner, id: string): Promise<StoredConsent | undefined>;
  /** Writes `resource` as the Consent's next version if `versionId` is still current; FhirLedgerError "precondition-failed" otherwise. */
  update(owner: ConsentOwner, resource: Record<string, unknown>, versionId: number): Promise<StoredConsent>;
}
