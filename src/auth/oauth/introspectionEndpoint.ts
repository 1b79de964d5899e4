import type { FormParams } from "./authenticateClient.ts";
import { authenticateCaller } from "./authenticateCaller.ts";
import { fhirUserUrl } from "./issueTokens.ts";
import { OAuthError, oauthAssert } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";
import { verifyAccessToken } from "./verifyAccessToken.ts";

/** The RFC 7662 answer: `{ active: false }` for anything not live, never why. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

/**
 * `POST /auth/introspect` (RFC 7662): for a confidential client or an administrator. A live
 * access token (ours, unexpired, unrevoked) or refresh token is active with its claims; any other
 * string, however malformed, is `{ active: false }`.
 */
export async function introspectionEndpoint(
  ctx: ServerContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<IntrospectionResponse> {
  const caller = await authenticateCaller(ctx, params, authorization);
  if ("client" in caller && caller.client.authMethod === "none")
    throw new OAuthError("invalid_client", "public clients may not introspect tokens");
  const token = params.token;
  oauthAssert(token !== undefined, "invalid_request", "token is required");
  if (token.length > 8192) return { active: false };
  try {
    const claims = await verifyAccessToken(token, { ...keysOf(ctx), now: () => ctx.store.now });
    return {
      active: true,
      token_type: "Bearer",
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      iss: claims.iss,
      aud: claims.aud,
      exp: claims.exp,
      iat: claims.iat,
      ...(claims.patient === undefined ? {} : { patient: claims.patient }),
      ...(claims.encounter === undefined ? {} : { encounter: claims.encounter }),
      ...(claims.fhirUser === undefined ? {} : { fhirUser: claims.fhirUser }),
    };
  } catch {
    // not a live access token: perhaps a refresh token
  }
  const refresh = ctx.store.refreshTokenGrant(token);
  if (!refresh) return { active: false };
  const { grant } = refresh;
  const fhirUser = fhirUserUrl(ctx, grant.user.fhirUser);
  return {
    active: true,
    token_type: "refresh_token",
    scope: grant.scopes.join(" "),
    client_id: grant.clientId,
    sub: grant.user.userId,
    iss: ctx.issuer,
    exp: Math.floor(refresh.expiresAt / 1000),
    iat: Math.floor(grant.issuedAt / 1000),
    ...(grant.context.patient === undefined ? {} : { patient: grant.context.patient }),
    ...(fhirUser === undefined ? {} : { fhirUser }),
  };
}

/** The verifier's view of the context (getters, so a base URL known only after listen is read late). */
export function keysOf(ctx: ServerContext) {
  return {
    keys: ctx.keys,
    get issuer() {
      return ctx.issuer;
    },
    get audience() {
      return ctx.fhirBaseUrl;
    },
    isRevoked: (jti: string) => ctx.store.isRevoked(jti),
  };
}
