import type { Actor } from "../auth/Actor.ts";
import type { ConsentDecision, RequestAuditor } from "./RequestAuditor.ts";

/**
 * The consent layer's `onDecision` callback (consentAccess's option) recording each decision as
 * a BALP AuthZ-Consent AuditEvent: taken during a request, it is committed with that request's
 * events before the answer (one per patient and decision); a break-glass permit also marks the
 * request's own events (purpose ETREAT, BTG label). A decision outside any request is appended
 * at once; a failure to record it is reported to `log` (the callback cannot fail the decision).
 */
export function auditConsentDecision(
  auditor: RequestAuditor,
  log?: (message: string, error: unknown) => void,
): (actor: Actor, decision: ConsentDecision) => void {
  return function onDecision(actor, decision) {
    auditor.decision(actor, decision)?.catch((error: unknown) => log?.("recording a consent decision failed", error));
  };
}
