import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { parseConsent } from "./parseConsent.ts";

/**
 * Refuses (422) a Consent whose provisions the server could not enforce: nested deeper or more
 * numerous than the caps (CONSENT_CAPS), a repeated element over its cap, an unknown provision
 * type or an unreadable period. A Consent without provision (a draft, say) is stored; it never counts.
 */
export function assertConsentEnforceable(consent: Record<string, unknown>): void {
  if (consent.provision === undefined) return;
  const parsed = parseConsent(consent);
  if (parsed.ok) return;
  throw new FhirLedgerError("unprocessable", `Consent not accepted: ${parsed.reason}`, {
    issues: [{ type: "business-rule", diagnostics: parsed.reason, expression: ["Consent.provision"] }],
  });
}
