import type { Actor } from "../Actor.ts";
import { authenticateClient } from "./authenticateClient.ts";
import type { FormParams } from "./authenticateClient.ts";
import type { OAuthClient } from "./ClientRegistry.ts";
import { OAuthError } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";

/** Who calls introspection or revocation: an administrator's bearer token, or an authenticated client. */
export type Caller = { admin: Actor } | { client: OAuthClient };

/**
 * An administrator (or the bootstrap integration client) by `Authorization: Bearer`, checked by
 * the configured admin authenticator; anyone else authenticates as a client.
 */
export async function authenticateCaller(
  ctx: ServerContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<Caller> {
  if (authorization !== undefined && /^Bearer\s/i.test(authorization)) {
    if (!ctx.adminAuthenticate) throw new OAuthError("invalid_client", "bearer tokens are not accepted here");
    // Whoever adminAuthenticate names administers the authorization server (the development
    // token, a system client, is one): it vouches for the role, not the actor's FHIR role.
    const actor = await ctx.adminAuthenticate(authorization).catch(() => undefined);
    if (actor === undefined) throw new OAuthError("invalid_client", "the bearer token is not an administrator's");
    return { admin: actor };
  }
  return { client: await authenticateClient(ctx, params, authorization) };
}
