import { OAuthError } from "./OAuthError.ts";
import type { OAuthErrorCode } from "./OAuthError.ts";
import type { LaunchContext } from "./OAuthStore.ts";
import type { SessionUser } from "./ports.ts";
import type { ServerContext } from "./ServerContext.ts";
import { grantableScopes, isSubset, parseResourceScope, splitScopes } from "./scopes.ts";

/** A validated authorize request waiting for the user's answer (kept server-side between pages). */
export interface PendingAuthorization {
  clientId: string;
  clientName: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  /** What the client may be given of what it asked, in the order asked. */
  scopes: string[];
  context: LaunchContext;
  nonce?: string;
  /** A practitioner must pick the patient first. */
  needsPatient: boolean;
}

/**
 * A refusal of an authorize request. With `redirectUri` it goes back to the client
 * (RFC 6749 §4.1.2.1); without, the user sees an error page, because the client or its
 * redirect_uri could not be trusted with it.
 */
export class AuthorizeError extends OAuthError {
  readonly redirectUri: string | undefined;
  readonly state: string | undefined;

  constructor(code: OAuthErrorCode, description: string, target?: { redirectUri: string; state?: string }) {
    super(code, description);
    this.redirectUri = target?.redirectUri;
    this.state = target?.state;
  }
}

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Checks an authorize request (GET query or POST form) in the order that decides where a refusal
 * goes: client and exact redirect_uri first (else an error page), then response_type, state,
 * PKCE S256, aud = the FHIR base URL, scopes and the EHR launch (else back to the client).
 */
export function validateAuthorizeRequest(ctx: ServerContext, params: Record<string, string>): PendingAuthorization {
  const client = ctx.clients.get(params.client_id);
  if (!client) throw new AuthorizeError("invalid_request", "unknown client_id");
  const redirectUri = params.redirect_uri;
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri))
    throw new AuthorizeError("invalid_request", "redirect_uri is not one registered for this client");
  const state = params.state;
  const back = (code: OAuthErrorCode, description: string) =>
    new AuthorizeError(code, description, { redirectUri, ...(state ? { state: state.slice(0, 512) } : {}) });
  if (!client.grantTypes.includes("authorization_code"))
    throw back("unauthorized_client", "this client may not use the authorization code grant");
  if (params.response_type !== "code") throw back("unsupported_response_type", "response_type must be code");
  if (state === undefined || state === "" || state.length > 512)
    throw back("invalid_request", "state is required (at most 512 characters)");
  if (params.code_challenge_method !== "S256")
    throw back("invalid_request", "PKCE is required: code_challenge_method must be S256");
  if (!CODE_CHALLENGE.test(params.code_challenge ?? ""))
    throw back("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)");
  if (params.aud === undefined || params.aud.replace(/\/+$/, "") !== ctx.fhirBaseUrl)
    throw back("invalid_request", "aud must be this server's FHIR base URL");
  let requested: string[];
  try {
    requested = splitScopes(params.scope);
  } catch (error) {
    throw back("invalid_scope", (error as Error).message);
  }
  const scopes = grantableScopes(requested, client.scopes).filter((s) => parseResourceScope(s)?.context !== "system");
  if (scopes.length === 0) throw back("invalid_scope", "none of the requested scopes may be granted to this client");
  let context: LaunchContext = {};
  if (params.launch !== undefined) {
    const launched = params.launch.length <= 256 ? ctx.store.launch(params.launch) : undefined;
    if (!launched) throw back("invalid_request", "unknown or expired launch");
    context = launched;
  }
  if (params.nonce !== undefined && params.nonce.length > 512)
    throw back("invalid_request", "nonce is at most 512 characters");
  return {
    clientId: client.clientId,
    clientName: client.name,
    redirectUri,
    state,
    codeChallenge: params.code_challenge!,
    scopes,
    context,
    ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
    needsPatient: false,
  };
}

/** Whether any scope needs a patient in context. */
function wantsPatient(scopes: readonly string[]): boolean {
  return scopes.some((s) => s === "launch/patient" || parseResourceScope(s)?.context === "patient");
}

/**
 * Applies the signed-in user: a patient gets their own record as context (and may not be
 * launched into another's); anyone else asking for patient data without a launch picks a patient.
 */
export function forUser(request: PendingAuthorization, user: SessionUser): PendingAuthorization {
  const own = user.fhirUser?.startsWith("Patient/") ? user.fhirUser.slice("Patient/".length) : undefined;
  if (user.role === "patient") {
    if (request.context.patient !== undefined && request.context.patient !== own)
      throw new AuthorizeError("access_denied", "this launch is for another patient", {
        redirectUri: request.redirectUri,
        state: request.state,
      });
    if (wantsPatient(request.scopes) && own === undefined)
      throw new AuthorizeError("access_denied", "your account is not linked to a Patient record", {
        redirectUri: request.redirectUri,
        state: request.state,
      });
    return {
      ...request,
      context: own === undefined ? request.context : { ...request.context, patient: own },
      needsPatient: false,
    };
  }
  return { ...request, needsPatient: request.context.patient === undefined && wantsPatient(request.scopes) };
}

/** The scopes the user approved: those ticked, each one the request held (a subset only). */
export function approvedScopes(request: PendingAuthorization, ticked: readonly string[]): string[] {
  if (!isSubset(ticked, request.scopes))
    throw new AuthorizeError("invalid_scope", "an approved scope was not requested", {
      redirectUri: request.redirectUri,
      state: request.state,
    });
  return request.scopes.filter((s) => ticked.includes(s));
}

/** A patient id from a form, checked as a FHIR id. */
export function isFhirId(value: unknown): value is string {
  return typeof value === "string" && FHIR_ID.test(value);
}

/** Where the browser goes with the answer: code and state (and iss, RFC 9207), or an error. */
export function redirectWith(redirectUri: string, fields: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}
