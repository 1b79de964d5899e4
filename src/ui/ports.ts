import type { Context } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { SessionUser } from "../accounts/User.ts";

export type { SessionUser };

/**
 * The signed-in browser user and the CSRF token of their forms, as pages and the OAuth
 * authorize endpoint see them. Not signed in: the authorize endpoint redirects to
 * `/login?next=<url-encoded path+query>`.
 */
export interface PageSession {
  user(c: Context): Promise<SessionUser | undefined>;
  /** The token every form of this browser's session carries in a hidden `_csrf` field. */
  csrfToken(c: Context): Promise<string>;
  /** Whether a posted token is this session's, compared in constant time. */
  checkCsrf(c: Context, token: string | undefined): Promise<boolean>;
}

/** The page layout around a body (src/ui/layout.ts is the real one). */
export type RenderPage = (
  title: string,
  body: HtmlEscapedString | string,
) => HtmlEscapedString | Promise<HtmlEscapedString>;

/** Creates a registering patient's Patient resource; wired by the server to the FHIR engine. */
export interface PatientRegistrar {
  /** Resolves to the new Patient's id. */
  createPatient(input: { given: string; family: string; birthDate?: string; email: string }): Promise<string>;
}

export type ClientType = "public" | "confidential-symmetric" | "confidential-asymmetric";

/** An app registered with the authorization server, as the admin page lists it. */
export interface ClientSummary {
  clientId: string;
  name: string;
  type: ClientType;
  redirectUris: string[];
  /** Space-separated scopes the client may ask for. */
  scope: string;
}

export interface ClientRegistration {
  name: string;
  type: ClientType;
  redirectUris: string[];
  scope: string;
  /** For confidential-asymmetric clients: where their JWKS is, or the JWKS itself (JSON text). */
  jwksUri?: string;
  jwks?: string;
}

/** The OAuth part implements it; the admin page manages apps through it. Bad input: FhirLedgerError "invalid". */
export interface ClientAdmin {
  list(): Promise<ClientSummary[]>;
  /** Resolves to the new client's id, and its secret (shown once) for a confidential-symmetric client. */
  register(input: ClientRegistration): Promise<{ clientId: string; clientSecret?: string }>;
  remove(clientId: string): Promise<void>;
}

/** An app holding tokens a user approved. */
export interface GrantSummary {
  grantId: string;
  clientName: string;
  scopes: string[];
  /** Epoch milliseconds. */
  grantedAt: number;
  /** "Patient/123" when the grant is for one patient. */
  patient?: string;
}

/** The OAuth part implements it; the "connected apps" page shows and revokes a user's grants through it. */
export interface UserGrants {
  list(userId: string): Promise<GrantSummary[]>;
  /** Revokes the grant and every token issued under it; a grant of another user is "not-found". */
  revoke(userId: string, grantId: string): Promise<void>;
}

/**
 * Something that happened to an account or an app through the pages, for the audit trail
 * (the server maps it to an AuditEvent). Never a password, code, secret or session id.
 */
export interface AccountEvent {
  type:
    | "login"
    | "login-failed"
    | "logout"
    | "registered"
    | "activated"
    | "password-changed"
    | "user-created"
    | "user-disabled"
    | "user-enabled"
    | "activation-code-issued"
    | "app-registered"
    | "app-removed"
    | "grant-revoked";
  /** The signed-in user who did it (absent for a visitor: a failed login, a registration before it exists). */
  actor?: SessionUser;
  /** The account it happened to, when not the actor's own. */
  userId?: string;
  /** What it concerns: "Patient/123" for a code, a client id for an app, a grant id. */
  entity?: string;
  /** The login name typed, for a failed login only (at most 256 characters). */
  login?: string;
  /** The client's address as the rate limits see it. */
  address: string;
}
