import { CONSENT_SCOPE_SYSTEM } from "./parseConsent.ts";

/**
 * Whether a Consent is a practitioner's access request (consent-spec.md): status `proposed`,
 * scope patient-privacy, a patient, and a root provision permitting the practitioner alone
 * (`actor` = its fhirUser), with no nested provisions.
 */
export function isAccessRequest(consent: Record<string, unknown>, fhirUser: string): boolean {
  if (consent.status !== "proposed") return false;
  const scope = (consent.scope as { coding?: unknown } | undefined)?.coding;
  const scoped =
    Array.isArray(scope) &&
    scope.some(
      (c) =>
        (c as Record<string, unknown>)?.system === CONSENT_SCOPE_SYSTEM &&
        (c as Record<string, unknown>)?.code === "patient-privacy",
    );
  const patient = (consent.patient as { reference?: unknown } | undefined)?.reference;
  const root = consent.provision as Record<string, unknown> | undefined;
  return (
    scoped &&
    typeof patient === "string" &&
    root !== undefined &&
    (root.type === undefined || root.type === "permit") &&
    root.provision === undefined &&
    namesOnly(consent, fhirUser)
  );
}

/** Whether the Consent's root provision names `fhirUser` as its one actor. */
export function namesOnly(consent: Record<string, unknown>, fhirUser: string): boolean {
  const actors = (consent.provision as { actor?: unknown } | undefined)?.actor;
  return (
    Array.isArray(actors) &&
    actors.length > 0 &&
    actors.every((a) => (a as { reference?: { reference?: unknown } })?.reference?.reference === fhirUser)
  );
}
