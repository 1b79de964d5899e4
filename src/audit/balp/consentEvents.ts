import type { AuditEventJson, AuditOutcome, AuditParty } from "./balpEvent.ts";
import { balpEvent } from "./balpEvent.ts";
import {
  ENTITY_ROLE_SECURITY_RESOURCE,
  ENTITY_TYPE_SYSTEM_OBJECT,
  FHIRLEDGER_SUBTYPE,
  PROFILE,
  RESTFUL_INTERACTION,
  SOURCE_SECURITY_SERVER,
  SUBTYPE_AUTHZ_CONSENT,
  TYPE_REST,
  TYPE_SECURITY_ALERT,
} from "./codes.ts";

export interface ConsentDecisionInput extends AuditParty {
  /** "Patient/<id>" whose consent decided. */
  patient: string;
  decision: "permit" | "deny";
  breakGlass: boolean;
  /** The Consents that decided ("Consent/<id>"), when known. */
  consents?: readonly string[];
}

/**
 * A consent decision (BALP AuthZ-Consent: DICOM Security Alert, subtype AuthZ-Consent): the
 * patient, the requesting agents with their purpose of use, the Consents that decided; permit
 * is a success, deny a serious failure. Under break-glass the event carries the BTG label and
 * purpose ETREAT.
 * @see https://profiles.ihe.net/ITI/BALP/StructureDefinition-IHE.BasicAudit.AuthZconsent.html
 */
export function consentDecisionEvent(input: ConsentDecisionInput): AuditEventJson {
  return balpEvent({
    ...input,
    ...(input.breakGlass ? { purposeOfUse: "ETREAT" } : {}),
    profiles: [PROFILE.authzConsent],
    type: TYPE_SECURITY_ALERT,
    subtype: [SUBTYPE_AUTHZ_CONSENT],
    action: "E",
    outcome: input.decision === "permit" ? "0" : "8",
    outcomeDesc: input.breakGlass
      ? "permitted under break-glass (emergency access)"
      : `consent ${input.decision === "permit" ? "permitted" : "denied"} access`,
    patients: [input.patient],
    breakGlass: input.breakGlass,
    sourceType: SOURCE_SECURITY_SERVER,
    entities: (input.consents ?? []).slice(0, 64).map((c) => ({
      what: { reference: c },
      type: ENTITY_TYPE_SYSTEM_OBJECT,
      role: ENTITY_ROLE_SECURITY_RESOURCE,
    })),
  });
}

export interface ConsentChangeInput extends AuditParty {
  /** "Consent/<id>". */
  consent: string;
  patient: string;
  /** What happened to it: requested (proposed), granted (active), rejected, revoked (inactive), ... */
  change: "requested" | "granted" | "rejected" | "revoked" | "withdrawn" | "changed" | "deleted";
  outcome: AuditOutcome;
  /** Made by a wallet signature through ConsentRegistry (the chain event followed). */
  onChain?: boolean;
}

/**
 * A change to a patient's consent (an access request, its approval or rejection, a
 * revocation), beside the RESTful event of the write: a patient's access log shows it as such.
 */
export function consentChangeEvent(input: ConsentChangeInput): AuditEventJson {
  return balpEvent({
    ...input,
    profiles: [PROFILE.patientUpdate],
    type: TYPE_REST,
    subtype: [
      { system: RESTFUL_INTERACTION, code: "update" },
      { system: FHIRLEDGER_SUBTYPE, code: `consent-${input.change}` },
    ],
    action: input.change === "requested" ? "C" : input.change === "deleted" ? "D" : "U",
    what: input.consent,
    patients: [input.patient],
    ...(input.onChain ? { outcomeDesc: "by the patient's wallet signature (ConsentRegistry)" } : {}),
  });
}

export interface BreakGlassInput extends AuditParty {
  patient: string;
  /** The break-glass Consent written ("Consent/<id>"). */
  consent?: string;
  /** The practitioner's reason, as given (clipped). */
  reason: string;
  purpose?: string;
  /** When the emergency access ends. */
  until?: Date;
  outcome: AuditOutcome;
}

/**
 * A break-glass invocation: purpose of use ETREAT (or the one given), the BTG security label,
 * the patient and the Consent it wrote; the reason in outcomeDesc so the patient and the
 * auditor read it.
 */
export function breakGlassEvent(input: BreakGlassInput): AuditEventJson {
  return balpEvent({
    ...input,
    purposeOfUse: input.purpose ?? "ETREAT",
    profiles: [input.consent ? PROFILE.patientCreate : PROFILE.create],
    type: TYPE_SECURITY_ALERT,
    subtype: [
      { system: RESTFUL_INTERACTION, code: "operation" },
      { system: FHIRLEDGER_SUBTYPE, code: "break-glass" },
    ],
    action: "E",
    outcomeDesc: `break-glass${input.until ? ` until ${input.until.toISOString()}` : ""}: ${input.reason.slice(0, 1000)}`,
    ...(input.consent ? { what: input.consent } : {}),
    patients: [input.patient],
    breakGlass: true,
  });
}
