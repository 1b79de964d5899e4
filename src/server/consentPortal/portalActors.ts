import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SessionUser } from "../../ui/ports.ts";

/** A signed-in patient at the portal, as the engine sees them: patient/*.cruds confined to their own Patient. */
export function patientActor(user: SessionUser): Actor & { patient: string; fhirUser: string } {
  const own = user.fhirUser?.startsWith("Patient/") ? user.fhirUser.slice("Patient/".length) : undefined;
  if (user.role !== "patient" || own === undefined || own === "")
    throw new FhirLedgerError("forbidden", "Your account is not linked to a patient record.");
  return { id: user.userId, role: "patient", scopes: ["patient/*.cruds"], patient: own, fhirUser: user.fhirUser! };
}

/** A signed-in practitioner at the portal: user/*.cruds as its Practitioner (consent narrows it further). */
export function practitionerActor(user: SessionUser): Actor & { fhirUser: string } {
  if (user.role !== "practitioner" || !user.fhirUser?.startsWith("Practitioner/"))
    throw new FhirLedgerError(
      "forbidden",
      "Your account is not linked to a Practitioner record; ask an administrator to link it.",
    );
  return { id: user.userId, role: "practitioner", scopes: ["user/*.cruds"], fhirUser: user.fhirUser };
}

/**
 * The server reading, for a practitioner, the Consents that name it: under opt-in the
 * practitioner cannot see its own pending request (it sits in the patient's compartment), yet
 * must learn what became of it. Only Consent reads, only through the query `actor=<fhirUser>`
 * that the port writes (never the user), and audited as this system actor.
 */
export const CONSENT_REQUESTS_READER: Actor = Object.freeze({
  id: "portal-consent-requests",
  role: "system",
  scopes: ["system/Consent.rs"],
}) as Actor;
