import { ACT_REASON_SYSTEM, CONSENT_SCOPE_SYSTEM, spanOf, within } from "./parseConsent.ts";

/**
 * The patient ("Patient/P") a Consent counts for now, or undefined: status active, scope
 * patient-privacy, a patient reference, a root provision, and its period (if any) holding now.
 * Any other status (draft, proposed, rejected, inactive, entered-in-error) counts for nothing.
 * Wallet-bound consents are checked against the chain by the ConsentSource, not here.
 */
export function consentCounts(consent: Record<string, unknown>, now: number): string | undefined {
  if (consent.resourceType !== "Consent" || consent.status !== "active") return undefined;
  if (!hasCoding(consent.scope, CONSENT_SCOPE_SYSTEM, "patient-privacy")) return undefined;
  const patient = (consent.patient as { reference?: unknown } | undefined)?.reference;
  if (typeof patient !== "string" || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) return undefined;
  const root = consent.provision as { period?: unknown } | undefined;
  if (root === null || typeof root !== "object") return undefined;
  try {
    if (root.period !== undefined && !within(spanOf(root.period), now)) return undefined;
  } catch {
    // An unreadable period counts (the Consent can't be read, and is then taken as a deny).
    return patient;
  }
  return patient;
}

/** Whether a Consent is a break-glass one: `meta.security` holds v3-ActReason BTG. */
export function isBreakGlass(consent: Record<string, unknown>): boolean {
  const security = (consent.meta as { security?: unknown } | undefined)?.security;
  return Array.isArray(security) && security.some((c) => isCoding(c, ACT_REASON_SYSTEM, "BTG"));
}

function hasCoding(concept: unknown, system: string, code: string): boolean {
  const coding = (concept as { coding?: unknown } | undefined)?.coding;
  return Array.isArray(coding) && coding.some((c) => isCoding(c, system, code));
}

function isCoding(c: unknown, system: string, code: string): boolean {
  return (
    c !== null &&
    typeof c === "object" &&
    (c as Record<string, unknown>).system === system &&
    (c as Record<string, unknown>).code === code
  );
}
