import type { OAuthClient } from "./ClientRegistry.ts";
import { OAuthError } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";
import { JWT_BEARER_ASSERTION, verifyClientAssertion } from "./verifyClientAssertion.ts";

/** Form parameters of an OAuth endpoint, each at most once. */
export type FormParams = Record<string, string>;

function refuse(why: string): OAuthError {
  return new OAuthError("invalid_client", `client authentication failed: ${why}`);
}

/** client_id:secret from `Authorization: Basic`, each form-url-decoded (RFC 6749 §2.3.1). */
function basicCredentials(authorization: string): { clientId: string; secret: string } {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(authorization);
  if (!match) throw refuse("the Authorization header is not HTTP Basic");
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw refuse("the Basic credentials have no secret");
  try {
    const plus = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return { clientId: plus(decoded.slice(0, colon)), secret: plus(decoded.slice(colon + 1)) };
  } catch {
    throw refuse("the Basic credentials are not form-url-encoded");
  }
}

/**
 * Identifies the client of a token, introspection or revocation request by exactly one method:
 * HTTP Basic (client_secret_basic), a client assertion (private_key_jwt), or a bare client_id
 * (public clients only). A confidential client that does not authenticate is refused.
 */
export async function authenticateClient(
  ctx: ServerContext,
  params: FormParams,
  authorization: string | undefined,
): Promise<OAuthClient> {
  const methods = [authorization !== undefined, params.client_assertion !== undefined].filter(Boolean).length;
  if (methods > 1) throw new OAuthError("invalid_request", "use one client authentication method only");
  if (params.client_secret !== undefined) throw refuse("client_secret_post is not supported; use HTTP Basic");
  if (authorization !== undefined) {
    const { clientId, secret } = basicCredentials(authorization);
    const client = ctx.clients.get(clientId);
    // The secret is checked for unknown clients too, so timing does not tell which ids exist.
    const ok = ctx.clients.checkSecret(clientId, secret);
    if (client?.authMethod !== "client_secret_basic" || !ok) throw refuse("unknown client or wrong secret");
    if (params.client_id !== undefined && params.client_id !== clientId)
      throw refuse("client_id differs from the Basic credentials");
    return client;
  }
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION)
      throw refuse(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    if (params.client_assertion === undefined) throw refuse("client_assertion is missing");
    const clientId = assertionIssuer(params.client_assertion);
    if (params.client_id !== undefined && params.client_id !== clientId)
      throw refuse("client_id differs from the assertion's iss");
    const client = ctx.clients.get(clientId);
    if (client?.authMethod !== "private_key_jwt") throw refuse("unknown client");
    await verifyClientAssertion(ctx, client, params.client_assertion);
    return client;
  }
  if (params.client_id === undefined) throw refuse("no client authentication and no client_id");
  const client = ctx.clients.get(params.client_id);
  if (!client) throw refuse("unknown client");
  if (client.authMethod !== "none") throw refuse("this confidential client must authenticate");
  return client;
}

/** The unverified iss of an assertion, only to find whose keys to verify it with. */
function assertionIssuer(assertion: string): string {
  const payload = assertion.split(".")[1];
  if (payload === undefined || assertion.length > 8192) throw refuse("the client_assertion is not a JWT");
  try {
    const iss = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown }).iss;
    if (typeof iss === "string") return iss;
  } catch {
    // fall through
  }
  throw refuse("the client_assertion has no iss");
}
