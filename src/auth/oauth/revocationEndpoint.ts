import type { FormParams } from "./authenticateClient.ts";
import { authenticateCaller } from "./authenticateCaller.ts";
import { keysOf } from "./introspectionEndpoint.ts";
import { oauthAssert } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";
import { verifyAccessToken } from "./verifyAccessToken.ts";

/**
 * `POST /auth/revoke` (RFC 7009): a client revokes its own tokens, an administrator anyone's.
 * A refresh token takes its whole grant with it (every refresh and access token of the family);
 * an access token is refused by the verifier from the next request. Unknown tokens are not an
 * error (§2.2): the answer is the same 200 either way.
 */
export async function revocationEndpoint(
  ctx: ServerContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<void> {
  const caller = await authenticateCaller(ctx, params, authorization);
  const token = params.token;
  oauthAssert(token !== undefined, "invalid_request", "token is required");
  if (token.length > 8192) return;
  const mayRevoke = (clientId: string) => "admin" in caller || caller.client.clientId === clientId;
  const refresh = ctx.store.refreshTokenGrant(token);
  if (refresh) {
    if (mayRevoke(refresh.grant.clientId)) ctx.store.revokeGrant(refresh.grant.grantId);
    return;
  }
  const claims = await verifyAccessToken(token, {
    ...keysOf(ctx),
    isRevoked: () => false,
    now: () => ctx.store.now,
  }).catch(() => undefined);
  if (claims && mayRevoke(claims.client_id)) ctx.store.revokeJti(claims.jti, claims.exp * 1000);
}
