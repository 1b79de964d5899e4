import type { AuditEventJson, AuditOutcome, AuditParty } from "./balpEvent.ts";
import { balpEvent } from "./balpEvent.ts";
import {
  AGENT_AUTH_SERVER,
  ENTITY_ROLE_SECURITY_RESOURCE,
  ENTITY_TYPE_SYSTEM_OBJECT,
  PROFILE,
  SOURCE_SECURITY_SERVER,
  SUBTYPE_ITI71,
  SUBTYPE_LOGIN,
  SUBTYPE_LOGOUT,
  TYPE_USER_AUTHENTICATION,
} from "./codes.ts";

export interface TokenAuditInput extends AuditParty {
  /** The client the token was asked for (client_id as sent, clipped). */
  clientId?: string;
  /** authorization_code, refresh_token, client_credentials, ... */
  grantType?: string;
  /** The granted (or asked) scopes, space separated. */
  scope?: string;
  /** The issued token's jti; never the token, the code or the PKCE verifier. */
  tokenId?: string;
  outcome: AuditOutcome;
  /** Why it failed (an OAuth error code), for failures. */
  outcomeDesc?: string;
}

/**
 * IHE IUA ITI-71 Get Access Token, as the authorization server records it: the client, the
 * user, the authorization server, and the token request as an entity holding the grant type,
 * the scopes and the new token's jti. The request's secrets (code, PKCE verifier, client
 * secret or assertion, refresh token) are never taken in.
 * @see https://profiles.ihe.net/ITI/BALP/StructureDefinition-IHE.IUA.71.html
 */
export function tokenAuditEvent(input: TokenAuditInput): AuditEventJson {
  const detail = [
    ...(input.grantType ? [{ type: "grant_type", valueString: input.grantType.slice(0, 64) }] : []),
    ...(input.scope ? [{ type: "scope", valueString: input.scope.slice(0, 2048) }] : []),
  ];
  const actor =
    input.actor ?? (input.clientId ? { id: input.clientId, role: "system" as const, scopes: [] } : undefined);
  const withClient =
    actor && input.clientId && actor.clientId === undefined ? { ...actor, clientId: input.clientId } : actor;
  return balpEvent({
    ...input,
    ...(withClient ? { actor: { ...withClient, ...(input.tokenId ? { tokenId: input.tokenId } : {}) } } : {}),
    profiles: [PROFILE.getAccessToken],
    type: TYPE_USER_AUTHENTICATION,
    subtype: [SUBTYPE_ITI71],
    action: "E",
    sourceType: SOURCE_SECURITY_SERVER,
    extraAgents: [
      { type: { coding: [AGENT_AUTH_SERVER] }, who: { display: "fhirledger authorization server" }, requestor: false },
    ],
    entities: [
      {
        type: ENTITY_TYPE_SYSTEM_OBJECT,
        role: ENTITY_ROLE_SECURITY_RESOURCE,
        what: { identifier: { system: "urn:fhirledger:token-jti", value: input.tokenId ?? "none" } },
        ...(detail.length > 0 ? { detail } : {}),
      },
    ],
  });
}

export interface LoginAuditInput extends AuditParty {
  kind: "login" | "login-failed" | "logout";
  /** The username tried (failed logins): kept, so an auditor sees guessing; never the password. */
  username?: string;
  outcomeDesc?: string;
}

/**
 * A sign-in to or sign-out from the portal (DICOM User Authentication, subtype Login or
 * Logout); a failed sign-in is a login with a serious-failure outcome and the name tried.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_A.5.3.html
 */
export function loginAuditEvent(input: LoginAuditInput): AuditEventJson {
  return balpEvent({
    ...input,
    profiles: [],
    type: TYPE_USER_AUTHENTICATION,
    subtype: [input.kind === "logout" ? SUBTYPE_LOGOUT : SUBTYPE_LOGIN],
    action: "E",
    outcome: input.kind === "login-failed" ? "8" : "0",
    sourceType: SOURCE_SECURITY_SERVER,
    ...(input.username
      ? {
          entities: [
            {
              type: ENTITY_TYPE_SYSTEM_OBJECT,
              role: ENTITY_ROLE_SECURITY_RESOURCE,
              what: { identifier: { system: "urn:fhirledger:username", value: input.username.slice(0, 256) } },
            },
          ],
        }
      : {}),
  });
}
