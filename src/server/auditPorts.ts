import type { AccountEvent } from "../ui/ports.ts";
import type { TokenEvent } from "../auth/oauth/createAuthorizationServer.ts";
import type { Actor } from "../auth/Actor.ts";
import type { AuditTrail } from "../audit/AuditTrail.ts";
import { loginAuditEvent, tokenAuditEvent } from "../audit/balp/securityEvents.ts";
import { operationEvent } from "../audit/balp/systemEvents.ts";

/** The authorization server's token requests as IUA ITI-71 AuditEvents, durable before the answer. */
export function auditTokenRequests(audit: AuditTrail): (event: TokenEvent) => Promise<void> {
  return async (event) => {
    const role = event.role as Actor["role"] | undefined;
    const actor: Actor | undefined =
      event.sub === undefined
        ? undefined
        : {
            id: event.sub,
            role: role ?? "system",
            scopes: [],
            ...(event.clientId ? { clientId: event.clientId } : {}),
            ...(event.fhirUser ? { fhirUser: event.fhirUser } : {}),
          };
    await audit.append([
      tokenAuditEvent({
        ...(actor ? { actor } : {}),
        ...(event.clientId ? { clientId: event.clientId } : {}),
        ...(event.grantType ? { grantType: event.grantType } : {}),
        ...(event.scope ? { scope: event.scope } : {}),
        ...(event.tokenId ? { tokenId: event.tokenId } : {}),
        outcome: event.error === undefined ? "0" : "8",
        ...(event.error ? { outcomeDesc: event.error } : {}),
      }),
    ]);
  };
}

/**
 * The accounts pages' events: sign-ins, failed sign-ins (with the name typed) and sign-outs as
 * DICOM User Authentication events; the rest (accounts, apps, grants) as execute events.
 */
export function auditAccountEvents(audit: AuditTrail): (event: AccountEvent) => Promise<void> {
  return async (event) => {
    const user = event.actor;
    const actor: Actor | undefined =
      user === undefined
        ? undefined
        : {
            id: user.userId,
            role: user.role as Actor["role"],
            scopes: [],
            ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}),
          };
    const party = actor ? { actor } : {};
    if (event.type === "login" || event.type === "login-failed" || event.type === "logout") {
      await audit.append([
        loginAuditEvent({
          ...party,
          kind: event.type,
          ...(event.type === "login-failed" && event.login ? { username: event.login } : {}),
        }),
      ]);
      return;
    }
    await audit.append([
      operationEvent({
        ...party,
        interaction: "operation",
        operation: event.type,
        ...(event.entity ? { what: event.entity.slice(0, 256) } : {}),
        outcome: "0",
      }),
    ]);
  };
}
