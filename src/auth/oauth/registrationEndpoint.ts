import type { ClientAuthMethod, ClientRegistration, GrantType } from "./ClientRegistry.ts";
import { OAuthError } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";
import { splitScopes } from "./scopes.ts";

/**
 * `POST /auth/register` (RFC 7591), for an administrator's bearer token only: turns client
 * metadata into a registration and answers with the client's id (and secret, shown once).
 */
export async function registrationEndpoint(
  ctx: ServerContext,
  metadata: unknown,
  authorization: string | undefined,
): Promise<Record<string, unknown>> {
  if (!ctx.adminAuthenticate) throw new OAuthError("invalid_token", "dynamic registration is turned off");
  // Whoever adminAuthenticate names administers the authorization server (see authenticateCaller).
  const actor = await ctx.adminAuthenticate(authorization).catch(() => undefined);
  if (actor === undefined)
    throw new OAuthError("invalid_token", "registration needs an administrator's bearer token");
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    throw new OAuthError("invalid_client_metadata", "the body is a JSON object of client metadata");
  const m = metadata as Record<string, unknown>;
  const str = (name: string) => {
    const value = m[name];
    if (value !== undefined && typeof value !== "string")
      throw new OAuthError("invalid_client_metadata", `${name} is a string`);
    return value;
  };
  const list = (name: string) => {
    const value = m[name];
    if (value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== "string")))
      throw new OAuthError("invalid_client_metadata", `${name} is an array of strings`);
    return value as string[] | undefined;
  };
  const authMethod = (str("token_endpoint_auth_method") ?? "client_secret_basic") as ClientAuthMethod;
  const redirectUris = list("redirect_uris");
  const grantTypes = list("grant_types") as GrantType[] | undefined;
  const jwksUri = str("jwks_uri");
  const registration: ClientRegistration = {
    name: str("client_name") ?? "",
    authMethod,
    scopes: metadataScopes(str("scope")),
    ...(redirectUris === undefined ? {} : { redirectUris }),
    ...(grantTypes === undefined ? {} : { grantTypes }),
    ...(m.jwks === undefined ? {} : { jwks: m.jwks as ClientRegistration["jwks"] & object }),
    ...(jwksUri === undefined ? {} : { jwksUri }),
  };
  const { client, clientSecret } = ctx.clients.register(registration);
  return {
    client_id: client.clientId,
    ...(clientSecret === undefined ? {} : { client_secret: clientSecret, client_secret_expires_at: 0 }),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    client_name: client.name,
    token_endpoint_auth_method: client.authMethod,
    grant_types: client.grantTypes,
    redirect_uris: client.redirectUris,
    scope: client.scopes.join(" "),
    ...(client.jwks === undefined ? {} : { jwks: client.jwks }),
    ...(client.jwksUri === undefined ? {} : { jwks_uri: client.jwksUri }),
  };
}

/** The client's scopes; RFC 7591 names every metadata refusal invalid_client_metadata. */
function metadataScopes(scope: string | undefined): string[] {
  try {
    return splitScopes(scope);
  } catch (error) {
    throw new OAuthError("invalid_client_metadata", (error as Error).message);
  }
}
