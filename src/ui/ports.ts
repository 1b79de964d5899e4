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

/** Who a Consent names, as a page shows it: the reference, and a name the server resolved for it. */
export interface ConsentActorSummary {
  /** "Practitioner/9", "CareTeam/3", ... */
  reference: string;
  /** The referenced resource's own name when the viewer may read it, else the reference again. */
  name: string;
}

/** One Consent as the consent pages list it (read through the engine, never trusted for display beyond this). */
export interface ConsentSummary {
  id: string;
  /** draft, proposed, active, rejected, inactive, entered-in-error. */
  status: string;
  /** "Patient/123" */
  patient: string;
  /** The root provision's type: permit (the default) or deny. */
  decision: "permit" | "deny";
  actors: ConsentActorSummary[];
  /** Resource types the root provision is limited to; empty = every kind of record. */
  classes: string[];
  /** The root provision's period (FHIR dateTime strings as written). */
  start?: string;
  end?: string;
  /** Emergency access (meta.security v3-ActReason BTG). */
  breakGlass: boolean;
  /** For break-glass: the reason the practitioner gave. */
  reason?: string;
  /** meta.lastUpdated */
  lastUpdated?: string;
}

/** One AuditEvent as the patient's access log shows it. */
export interface AccessLogEntry {
  id: string;
  /** AuditEvent.recorded */
  recorded: string;
  /** The people and apps that acted (requestor agents first): a resolved name, or the reference/identifier. */
  who: string[];
  /** What happened, in words: "read Observation/5", "search Observation", "update Consent/2", ... */
  what: string;
  /** Allowed and done, or refused / failed. */
  outcome: "success" | "failure";
  /** Purpose-of-use codes (TREAT, ETREAT, ...). */
  purposes: string[];
  /** Emergency (break-glass) access. */
  breakGlass: boolean;
}

/** What a practitioner sees of a patient whose records it may read. */
export interface PatientRecords {
  id: string;
  name: string;
  /** The compartment's resources (Patient/$everything), at most the port's cap. */
  resources: { reference: string; type: string; label: string; date?: string }[];
  /** More resources exist than are listed. */
  truncated: boolean;
}

/** The status changes a patient makes to a Consent of their own from the /consents page. */
export type ConsentDecision = "approve" | "reject" | "revoke";

/**
 * The consent pages' access to the FHIR engine, as the signed-in user (the server implements it
 * on FhirEngine.handle; see src/server/consentPortalOf.ts). Every method acts as `user`, so
 * scopes, role and consent decide what it sees and may do; a refusal is a FhirLedgerError whose
 * message is safe to show ("forbidden", "not-found", "invalid", "conflict").
 */
export interface ConsentPortal {
  /** Patient: every Consent in their own compartment, newest first (at most 200). */
  consentsOf(user: SessionUser): Promise<ConsentSummary[]>;
  /** Patient: approve or reject a proposed Consent, revoke an active one (their own compartment only). */
  decide(user: SessionUser, consentId: string, decision: ConsentDecision): Promise<void>;
  /** Patient: who accessed their records (AuditEvent?patient=), newest first, `page` from 1, 20 a page. */
  accessLog(user: SessionUser, page: number): Promise<{ entries: AccessLogEntry[]; hasMore: boolean }>;
  /** Practitioner: patients it may pick (the picker's search), by name fragment. */
  findPatients(user: SessionUser, text: string): Promise<{ id: string; name: string }[]>;
  /** Practitioner: creates a proposed Consent naming itself for `patient` ("Patient/<id>"); resolves to its id. */
  requestAccess(
    user: SessionUser,
    input: { patient: string; classes: readonly string[]; start?: string; end?: string },
  ): Promise<string>;
  /** Practitioner: the Consents naming it (its requests and what became of them), newest first. */
  requestsOf(user: SessionUser): Promise<ConsentSummary[]>;
  /** Practitioner: the patient's records, or undefined when it may not read them (or there is no such patient). */
  recordsOf(user: SessionUser, patientId: string): Promise<PatientRecords | undefined>;
  /** Practitioner: emergency access ($break-glass); resolves to the Consent written and its end. */
  breakGlass(
    user: SessionUser,
    input: { patient: string; reason: string; purpose: string; minutes?: number },
  ): Promise<{ consentId: string; end?: string }>;
}
