import { randomBytes } from "node:crypto";
import type { OAuthClient } from "./ClientRegistry.ts";
import type { GrantUser, LaunchContext } from "./OAuthStore.ts";
import type { ServerContext } from "./ServerContext.ts";

/** The token response of RFC 6749 §5.1 with SMART's launch context. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  patient?: string;
  encounter?: string;
  fhirContext?: Array<{ reference: string }>;
  need_patient_banner?: boolean;
}

/** Access-token claims beyond the registered ones. */
export interface AccessClaims {
  scope: string;
  client_id: string;
  role: string;
  patient?: string;
  encounter?: string;
  fhirUser?: string;
}

export const ACCESS_TOKEN_TYPE = "at+jwt";

/** An absolute fhirUser URL from "Patient/123" (SMART wants a resolvable URL). */
export function fhirUserUrl(ctx: ServerContext, fhirUser: string | undefined): string | undefined {
  return fhirUser === undefined ? undefined : `${ctx.fhirBaseUrl}/${fhirUser}`;
}

/**
 * Signs an access token (ES256, RFC 9068 `at+jwt`): iss, sub, aud = the FHIR base URL, exp,
 * iat, jti, scope, client_id, the role the verifier makes the Actor's, and the launch context.
 */
export async function signAccessToken(
  ctx: ServerContext,
  subject: { sub: string; role: string; fhirUser?: string },
  client: OAuthClient,
  scopes: readonly string[],
  context: LaunchContext,
): Promise<{ token: string; jti: string; expiresAt: number }> {
  const jti = randomBytes(16).toString("base64url");
  const iat = Math.floor(ctx.store.now / 1000);
  const exp = iat + ctx.lifetimes.accessToken;
  const claims: AccessClaims = {
    scope: scopes.join(" "),
    client_id: client.clientId,
    role: subject.role,
    ...(context.patient === undefined ? {} : { patient: context.patient }),
    ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
    ...(subject.fhirUser === undefined ? {} : { fhirUser: fhirUserUrl(ctx, subject.fhirUser)! }),
  };
  const token = await ctx.keys.sign(
    "ES256",
    { ...claims, iss: ctx.issuer, sub: subject.sub, aud: ctx.fhirBaseUrl, iat, exp, jti },
    ACCESS_TOKEN_TYPE,
  );
  return { token, jti, expiresAt: exp * 1000 };
}

/** The OpenID Connect id_token (RS256): iss, sub, aud = client_id, and fhirUser when that scope was granted. */
export async function signIdToken(
  ctx: ServerContext,
  user: GrantUser,
  client: OAuthClient,
  scopes: readonly string[],
  nonce: string | undefined,
): Promise<string> {
  const iat = Math.floor(ctx.store.now / 1000);
  return ctx.keys.sign("RS256", {
    iss: ctx.issuer,
    sub: user.userId,
    aud: client.clientId,
    iat,
    exp: iat + ctx.lifetimes.accessToken,
    ...(scopes.includes("fhirUser") && user.fhirUser !== undefined
      ? { fhirUser: fhirUserUrl(ctx, user.fhirUser) }
      : {}),
    ...(nonce === undefined ? {} : { nonce }),
  });
}

/** The launch context fields of a token response. */
export function contextFields(context: LaunchContext): Pick<TokenResponse, "patient" | "encounter" | "fhirContext"> {
  const fhirContext: Array<{ reference: string }> = [];
  if (context.patient !== undefined) fhirContext.push({ reference: `Patient/${context.patient}` });
  if (context.encounter !== undefined) fhirContext.push({ reference: `Encounter/${context.encounter}` });
  return {
    ...(context.patient === undefined ? {} : { patient: context.patient }),
    ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
    ...(fhirContext.length === 0 ? {} : { fhirContext }),
  };
}
