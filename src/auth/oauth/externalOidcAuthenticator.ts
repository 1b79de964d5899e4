import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Actor, Authenticator } from "../Actor.ts";

export interface ExternalOidcOptions {
  /** The provider's issuer, exactly as in its tokens' iss. */
  issuer: string;
  /** Its JWKS document. */
  jwksUrl: string;
  /** The audience its tokens for this server carry (required: a token for another app is refused). */
  audience: string;
  /** The claim holding the user's roles or groups (a string or an array of strings), e.g. "roles". */
  roleClaim: string;
  /** Claim value → role; the first entry (in this object's order) that the user holds wins; none → refused. */
  roleMap: Record<string, Actor["role"]>;
  /** Where the scopes are: "scope" (space-separated, the default) or an array claim such as "scp". */
  scopeClaim?: string;
  /** Signature algorithms accepted (default RS256 and ES256). */
  algorithms?: string[];
  /** JWKS fetch timeout (default 5 s) and how long a fetched set is kept (default 10 min). */
  timeoutMs?: number;
  cacheMaxAgeMs?: number;
  now?: () => number;
}

function unauthorized(message: string, cause?: unknown): FhirLedgerError {
  return new FhirLedgerError("unauthorized", message, cause === undefined ? {} : { cause });
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Accepts bearer tokens from an existing OpenID provider (deployments behind a hospital IdP):
 * signature by the provider's JWKS (fetched with a timeout, cached), the configured issuer and
 * audience, exp/nbf with a small leeway, and a role from the configured claim mapping; a user
 * whose claims map to no role is refused.
 */
export function externalOidcAuthenticator(options: ExternalOidcOptions): Authenticator {
  if (!options.audience)
    throw new FhirLedgerError("invalid", "an external OpenID provider needs the audience its tokens carry");
  const roleEntries = Object.entries(options.roleMap);
  if (roleEntries.length === 0)
    throw new FhirLedgerError("invalid", "an external OpenID provider needs a claim-to-role mapping");
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs ?? 5000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    cooldownDuration: 30_000,
  });
  const scopeClaim = options.scopeClaim ?? "scope";
  return async function authenticateExternalToken(authorization) {
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,8192})\s*$/i.exec(authorization ?? "");
    if (!match) throw unauthorized("a bearer token is required");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, jwks, {
        algorithms: options.algorithms ?? ["RS256", "ES256"],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ["exp", "sub"],
        clockTolerance: 10,
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      }));
    } catch (cause) {
      throw unauthorized(
        cause instanceof errors.JWTExpired ? "the access token expired" : "the bearer token is not valid",
        cause,
      );
    }
    const held = new Set(strings(payload[options.roleClaim]));
    const role = roleEntries.find(([value]) => held.has(value))?.[1];
    if (role === undefined) throw unauthorized("the identity provider's token maps to no role here");
    const rawScopes = payload[scopeClaim];
    const scopes = typeof rawScopes === "string" ? rawScopes.split(" ").filter((s) => s !== "") : strings(rawScopes);
    const patient = payload.patient;
    const fhirUser = payload.fhirUser;
    return {
      id: String(payload.sub),
      role,
      scopes,
      ...(typeof payload.azp === "string" ? { clientId: payload.azp } : {}),
      ...(typeof payload.jti === "string" ? { tokenId: payload.jti } : {}),
      ...(typeof patient === "string" ? { patient } : {}),
      ...(typeof fhirUser === "string" ? { fhirUser } : {}),
    };
  };
}
