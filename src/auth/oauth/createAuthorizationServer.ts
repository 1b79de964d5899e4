import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { KeyStore } from "../../ports/KeyStore.ts";
import type { Actor, Authenticator } from "../Actor.ts";
import type { FormParams } from "./authenticateClient.ts";
import { ClientRegistry } from "./ClientRegistry.ts";
import type { ClientRegistration, OAuthClient } from "./ClientRegistry.ts";
import { endpointsOf, openidConfiguration, smartConfiguration } from "./discoveryDocuments.ts";
import { introspectionEndpoint, keysOf } from "./introspectionEndpoint.ts";
import type { IntrospectionResponse } from "./introspectionEndpoint.ts";
import type { TokenResponse } from "./issueTokens.ts";
import { openOAuthDatabase } from "./oauthDatabase.ts";
import { OAuthError } from "./OAuthError.ts";
import { OAuthStore } from "./OAuthStore.ts";
import type { LaunchContext } from "./OAuthStore.ts";
import { registrationEndpoint } from "./registrationEndpoint.ts";
import { RemoteJwksCache } from "./RemoteJwksCache.ts";
import type { RemoteJwksCacheOptions } from "./RemoteJwksCache.ts";
import { revocationEndpoint } from "./revocationEndpoint.ts";
import { DEFAULT_LIFETIMES } from "./ServerContext.ts";
import type { ServerContext, TokenLifetimes } from "./ServerContext.ts";
import { tokenEndpoint } from "./tokenEndpoint.ts";
import { TokenKeys } from "./TokenKeys.ts";
import { accessTokenAuthenticator } from "./verifyAccessToken.ts";
import { isFhirId } from "./authorizeRequest.ts";

export interface AuthorizationServerOptions {
  /** `<dataDir>/oauth.sqlite` is made there (0600); or give `databasePath` (":memory:" in tests). */
  dataDir?: string;
  databasePath?: string;
  /** Holds the signing keys (wrapped by the KEK). */
  keys: KeyStore;
  /** The server's public base URL, no trailing slash: issuer, and the FHIR base. Read on each use (known after listen). */
  baseUrl: () => string;
  /** The FHIR base URL when it differs from baseUrl. */
  fhirBaseUrl?: () => string;
  lifetimes?: Partial<TokenLifetimes>;
  /**
   * Names the administrators of this authorization server by their bearer token (registration,
   * introspection, revocation): any actor it returns is one, whatever its FHIR role (the
   * development token's authenticator, a system client, is the one the server passes).
   */
  adminAuthenticate?: Authenticator;
  remoteJwks?: RemoteJwksCacheOptions;
  now?: () => number;
  /**
   * Called after every token request, granted or refused, before it is answered (the audit's
   * IUA ITI-71 record): what was asked and granted, the new token's jti, never a token, code,
   * verifier or client secret. A failure of the callback fails the request.
   */
  onToken?: (event: TokenEvent) => Promise<void>;
}

/** One token request as the audit sees it. */
export interface TokenEvent {
  /** client_id as authenticated, or as sent when authentication failed (clipped). */
  clientId?: string;
  grantType?: string;
  /** Granted scopes (or asked, when refused). */
  scope?: string;
  /** The issued access token's jti, subject, role and fhirUser (read from the signed token). */
  tokenId?: string;
  sub?: string;
  role?: string;
  fhirUser?: string;
  /** The OAuth error code of a refusal. */
  error?: string;
}

/** A user's authorization of an app, for the "connected apps" page. */
export interface ConnectedApp {
  grantId: string;
  clientId: string;
  clientName: string;
  scopes: string[];
  issuedAt: Date;
  expiresAt: Date;
  patient?: string;
}

/** The SMART authorization server: its stores, endpoints as functions, and the access-token Authenticator. */
export interface AuthorizationServer {
  readonly context: ServerContext;
  /** Turns `Authorization: Bearer <access token>` into an Actor (for createApp / plainRead). */
  readonly authenticate: Authenticator;
  token(
    params: FormParams,
    authorization: string | undefined,
  ): Promise<{ response: TokenResponse; client: OAuthClient }>;
  introspect(params: FormParams, authorization: string | undefined): Promise<IntrospectionResponse>;
  revoke(params: FormParams, authorization: string | undefined): Promise<void>;
  /** RFC 7591 registration by an administrator's bearer token. */
  registerByRequest(metadata: unknown, authorization: string | undefined): Promise<Record<string, unknown>>;
  /** Registration for the CLI and the admin page (the caller checked who asks). */
  registerClient(registration: ClientRegistration): { client: OAuthClient; clientSecret?: string };
  /** Every registered client (the admin page). */
  listClients(): OAuthClient[];
  /**
   * Deletes a client and revokes every grant it holds (its refresh and user access tokens).
   * Its client_credentials access tokens live out their hour: revoke them one by one if needed.
   */
  deleteClient(clientId: string): boolean;
  /** An EHR launch context for a practitioner or the system client; the `launch` value to pass the app. */
  createLaunch(actor: Pick<Actor, "role">, context: LaunchContext): string;
  connectedApps(userId: string): ConnectedApp[];
  /** Revokes one of the user's own grants; false when it is not theirs or unknown. */
  revokeConnectedApp(userId: string, grantId: string): boolean;
  smartConfiguration(): Record<string, unknown>;
  openidConfiguration(): Record<string, unknown>;
  jwks(): { keys: unknown[] };
  /** Reads the signing keys again (after rotate-signing-key). */
  reloadKeys(): Promise<void>;
  close(): void;
}

/** Opens oauth.sqlite, loads the signing keys and assembles the authorization server. */
export async function createAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const path =
    options.databasePath ?? (options.dataDir === undefined ? undefined : join(options.dataDir, "oauth.sqlite"));
  if (path === undefined)
    throw new OAuthError("invalid_request", "createAuthorizationServer needs dataDir or databasePath");
  const now = options.now ?? Date.now;
  const lifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
  const db: DatabaseSync = openOAuthDatabase(path);
  try {
    const keys = await TokenKeys.load(options.keys, { maxTokenSeconds: lifetimes.accessToken + 60, now });
    const clients = new ClientRegistry(db, now);
    const store = new OAuthStore(db, now);
    const remoteJwks = new RemoteJwksCache({ now, ...options.remoteJwks });
    const base = () => options.baseUrl().replace(/\/+$/, "");
    const ctx: ServerContext = {
      get issuer() {
        return base();
      },
      get fhirBaseUrl() {
        return (options.fhirBaseUrl ?? options.baseUrl)().replace(/\/+$/, "");
      },
      get tokenUrl() {
        return endpointsOf(base()).token_endpoint;
      },
      clients,
      store,
      keys,
      remoteJwks,
      lifetimes,
      ...(options.adminAuthenticate ? { adminAuthenticate: options.adminAuthenticate } : {}),
    };
    const authenticate = accessTokenAuthenticator(Object.assign(keysOfLive(ctx), { now }));
    return {
      context: ctx,
      authenticate,
      token:
        options.onToken === undefined
          ? (params, authorization) => tokenEndpoint(ctx, params, authorization)
          : auditedToken(ctx, options.onToken),
      introspect: (params, authorization) => introspectionEndpoint(ctx, params, authorization),
      revoke: (params, authorization) => revocationEndpoint(ctx, params, authorization),
      registerByRequest: (metadata, authorization) => registrationEndpoint(ctx, metadata, authorization),
      registerClient: (registration) => clients.register(registration),
      listClients: () => clients.list(),
      deleteClient(clientId) {
        store.revokeClientGrants(clientId);
        return clients.delete(clientId);
      },
      createLaunch(actor, context) {
        if (actor.role !== "practitioner" && actor.role !== "system")
          throw new OAuthError("access_denied", "only a practitioner or the system client may create a launch");
        if (!isFhirId(context.patient)) throw new OAuthError("invalid_request", "patient is a FHIR id");
        if (context.encounter !== undefined && !isFhirId(context.encounter))
          throw new OAuthError("invalid_request", "encounter is a FHIR id");
        const clean: LaunchContext = {
          patient: context.patient,
          ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
        };
        return store.saveLaunch(clean, lifetimes.launch * 1000);
      },
      connectedApps: (userId) =>
        store.activeGrants(userId).map((g) => ({
          grantId: g.grantId,
          clientId: g.clientId,
          clientName: clients.get(g.clientId)?.name ?? g.clientId,
          scopes: g.scopes,
          issuedAt: new Date(g.issuedAt),
          expiresAt: new Date(g.expiresAt),
          ...(g.context.patient === undefined ? {} : { patient: g.context.patient }),
        })),
      revokeConnectedApp(userId, grantId) {
        const grant = typeof grantId === "string" && grantId.length <= 64 ? store.grant(grantId) : undefined;
        if (!grant || grant.user.userId !== userId || grant.revokedAt !== null) return false;
        store.revokeGrant(grantId);
        return true;
      },
      smartConfiguration: () => smartConfiguration(base()),
      openidConfiguration: () => openidConfiguration(base()),
      jwks: () => keys.jwks(),
      reloadKeys: () => keys.reload(),
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** keysOf, but keeping the getters alive (the verifier reads issuer and audience per request). */
function keysOfLive(ctx: ServerContext) {
  const view = keysOf(ctx);
  return Object.defineProperties(
    { keys: view.keys, isRevoked: view.isRevoked },
    {
      issuer: { get: () => ctx.issuer, enumerable: true },
      audience: { get: () => ctx.fhirBaseUrl, enumerable: true },
    },
  ) as typeof view;
}

/** The token endpoint, each request reported to `onToken` (granted or refused) before it is answered. */
function auditedToken(
  ctx: ServerContext,
  onToken: (event: TokenEvent) => Promise<void>,
): (params: FormParams, authorization: string | undefined) => ReturnType<typeof tokenEndpoint> {
  return async (params, authorization) => {
    const asked = {
      ...(typeof params.grant_type === "string" ? { grantType: params.grant_type.slice(0, 64) } : {}),
      ...(typeof params.client_id === "string" ? { clientId: params.client_id.slice(0, 256) } : {}),
    };
    let result: Awaited<ReturnType<typeof tokenEndpoint>>;
    try {
      result = await tokenEndpoint(ctx, params, authorization);
    } catch (error) {
      await onToken({
        ...asked,
        ...(typeof params.scope === "string" ? { scope: params.scope.slice(0, 2048) } : {}),
        error: error instanceof OAuthError ? error.oauthCode : "server_error",
      });
      throw error;
    }
    const claims = claimsOf(result.response.access_token);
    await onToken({
      ...asked,
      clientId: result.client.clientId,
      ...(result.response.scope ? { scope: result.response.scope } : {}),
      ...claims,
    });
    return result;
  };
}

/** jti, sub, role and fhirUser of a token this server just signed (its payload, read without the token being kept). */
function claimsOf(token: string): Pick<TokenEvent, "tokenId" | "sub" | "role" | "fhirUser"> {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const str = (k: string) => (typeof payload[k] === "string" ? (payload[k] as string) : undefined);
    const out: Pick<TokenEvent, "tokenId" | "sub" | "role" | "fhirUser"> = {};
    if (str("jti")) out.tokenId = str("jti")!;
    if (str("sub")) out.sub = str("sub")!;
    const role = str("role");
    if (role) out.role = role;
    const fhirUser = str("fhirUser");
    if (fhirUser) out.fhirUser = fhirUser.replace(/^.*\/((?:Patient|Practitioner|RelatedPerson|Person)\/[^/]+)$/, "$1");
    return out;
  } catch {
    return {};
  }
}
