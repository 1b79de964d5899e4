import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { authenticateClient } from "./authenticateClient.ts";
import type { FormParams } from "./authenticateClient.ts";
import type { OAuthClient } from "./ClientRegistry.ts";
import { OAuthError, oauthAssert } from "./OAuthError.ts";
import type { CodeBody, Grant } from "./OAuthStore.ts";
import { contextFields, signAccessToken, signIdToken } from "./issueTokens.ts";
import type { TokenResponse } from "./issueTokens.ts";
import { grantableScopes, isSubset, parseResourceScope, splitScopes } from "./scopes.ts";
import type { ServerContext } from "./ServerContext.ts";

/** RFC 7636 §4.1: 43-128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * `POST /auth/token`: authenticates the client, then answers the grant it asks for
 * (client_credentials, authorization_code with PKCE S256, refresh_token with rotation).
 * Every refusal is an OAuthError carrying its RFC 6749 §5.2 code.
 */
export async function tokenEndpoint(
  ctx: ServerContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<{ response: TokenResponse; client: OAuthClient }> {
  const grantType = params.grant_type;
  oauthAssert(grantType !== undefined, "invalid_request", "grant_type is required");
  if (!["client_credentials", "authorization_code", "refresh_token"].includes(grantType))
    throw new OAuthError(
      "unsupported_grant_type",
      "grant_type is authorization_code, refresh_token or client_credentials",
    );
  const client = await authenticateClient(ctx, params, authorization);
  if (!client.grantTypes.includes(grantType as OAuthClient["grantTypes"][number]))
    throw new OAuthError("unauthorized_client", `this client may not use the ${grantType} grant`);
  const response =
    grantType === "client_credentials"
      ? await clientCredentials(ctx, client, params)
      : grantType === "authorization_code"
        ? await authorizationCode(ctx, client, params)
        : await refresh(ctx, client, params);
  return { response, client };
}

/** SMART Backend Services: system/ scopes for the client itself. */
async function clientCredentials(ctx: ServerContext, client: OAuthClient, params: FormParams): Promise<TokenResponse> {
  const requested = splitScopes(params.scope);
  oauthAssert(requested.length > 0, "invalid_scope", "scope is required (system/ scopes)");
  const scopes = grantableScopes(requested, client.scopes).filter((s) => parseResourceScope(s)?.context === "system");
  oauthAssert(scopes.length > 0, "invalid_scope", "none of the requested scopes may be granted to this client");
  const access = await signAccessToken(ctx, { sub: client.clientId, role: "system" }, client, scopes, {});
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: ctx.lifetimes.accessToken,
    scope: scopes.join(" "),
  };
}

function s256(verifier: string): Buffer {
  return createHash("sha256").update(verifier, "ascii").digest();
}

async function authorizationCode(ctx: ServerContext, client: OAuthClient, params: FormParams): Promise<TokenResponse> {
  oauthAssert(params.code !== undefined && params.code !== "", "invalid_request", "code is required");
  oauthAssert(params.redirect_uri !== undefined, "invalid_request", "redirect_uri is required");
  const verifier = params.code_verifier;
  oauthAssert(verifier !== undefined && verifier.trim() !== "", "invalid_request", "code_verifier is required (PKCE)");
  oauthAssert(
    CODE_VERIFIER.test(verifier),
    "invalid_grant",
    "code_verifier is 43-128 unreserved characters (RFC 7636)",
  );
  const grantId = randomBytes(16).toString("base64url");
  const body = ctx.store.takeCode(
    params.code.slice(0, 256),
    (code: CodeBody) => {
      if (code.clientId !== client.clientId)
        throw new OAuthError("invalid_grant", "the code was issued to another client");
      if (code.redirectUri !== params.redirect_uri)
        throw new OAuthError("invalid_grant", "redirect_uri differs from the authorize request's");
      const expected = Buffer.from(code.codeChallenge, "base64url");
      const given = s256(verifier);
      if (expected.length !== given.length || !timingSafeEqual(expected, given))
        throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge");
    },
    grantId,
  );
  const scopes = body.scopes;
  const refreshSeconds = refreshLifetime(ctx, scopes);
  const now = ctx.store.now;
  const accessExpires = now + ctx.lifetimes.accessToken * 1000;
  const grant: Omit<Grant, "revokedAt"> = {
    grantId,
    clientId: client.clientId,
    scopes,
    user: body.user,
    context: body.context,
    issuedAt: now,
    expiresAt: refreshSeconds === undefined ? accessExpires : now + refreshSeconds * 1000,
  };
  ctx.store.createGrant(grant);
  return respondForGrant(ctx, client, { ...grant, revokedAt: null }, scopes, body.nonce, refreshSeconds);
}

/** Refresh tokens only for offline_access or online_access. */
function refreshLifetime(ctx: ServerContext, scopes: readonly string[]): number | undefined {
  if (scopes.includes("offline_access")) return ctx.lifetimes.offlineRefresh;
  if (scopes.includes("online_access")) return ctx.lifetimes.onlineRefresh;
  return undefined;
}

async function refresh(ctx: ServerContext, client: OAuthClient, params: FormParams): Promise<TokenResponse> {
  const token = params.refresh_token;
  oauthAssert(token !== undefined && token !== "", "invalid_request", "refresh_token is required");
  const requested = params.scope === undefined ? undefined : splitScopes(params.scope);
  const grant = ctx.store.useRefreshToken(token.slice(0, 256));
  if (grant.clientId !== client.clientId)
    throw new OAuthError("invalid_grant", "the refresh token was issued to another client");
  const scopes = requested ?? grant.scopes;
  oauthAssert(scopes.length > 0, "invalid_scope", "scope is empty");
  oauthAssert(isSubset(scopes, grant.scopes), "invalid_scope", "a refresh may only narrow the scope granted");
  return respondForGrant(ctx, client, grant, scopes, undefined, refreshLifetime(ctx, grant.scopes));
}

async function respondForGrant(
  ctx: ServerContext,
  client: OAuthClient,
  grant: Grant,
  scopes: string[],
  nonce: string | undefined,
  refreshSeconds: number | undefined,
): Promise<TokenResponse> {
  const subject = {
    sub: grant.user.userId,
    role: grant.user.role,
    ...(grant.user.fhirUser ? { fhirUser: grant.user.fhirUser } : {}),
  };
  const access = await signAccessToken(ctx, subject, client, scopes, grant.context);
  ctx.store.recordAccessToken(access.jti, grant.grantId, access.expiresAt);
  let refreshToken: string | undefined;
  if (refreshSeconds !== undefined) {
    // The new refresh token keeps the grant's whole scope (RFC 6749 §6), whatever this access token narrowed.
    const expiresAt = ctx.store.now + refreshSeconds * 1000;
    refreshToken = ctx.store.saveRefreshToken(grant.grantId, expiresAt);
    ctx.store.extendGrant(grant.grantId, expiresAt);
  } else {
    ctx.store.extendGrant(grant.grantId, access.expiresAt);
  }
  const idToken = scopes.includes("openid") ? await signIdToken(ctx, grant.user, client, scopes, nonce) : undefined;
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: ctx.lifetimes.accessToken,
    scope: scopes.join(" "),
    ...contextFields(grant.context),
    ...(grant.context.patient !== undefined ? { need_patient_banner: true } : {}),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    ...(idToken === undefined ? {} : { id_token: idToken }),
  };
}
