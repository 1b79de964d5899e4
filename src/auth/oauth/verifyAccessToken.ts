import { errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Actor, Authenticator } from "../Actor.ts";
import { ACCESS_TOKEN_TYPE } from "./issueTokens.ts";
import type { TokenKeys } from "./TokenKeys.ts";

export interface AccessTokenVerifierOptions {
  keys: TokenKeys;
  issuer: string;
  /** The FHIR base URL: tokens for another audience are refused. */
  audience: string;
  isRevoked(jti: string): boolean;
  /** Verified tokens remembered (default 10,000); each is still checked for expiry and revocation. */
  cacheSize?: number;
  now?: () => number;
}

/** Clock difference tolerated on exp/iat. */
export const LEEWAY_SECONDS = 10;
const MAX_TOKEN_LENGTH = 8192;
/** Roles a token may carry ("auditor" joins Actor's role union with the policy part). */
const ROLES = new Set(["admin", "practitioner", "patient", "auditor", "system"]);

/** Claims of a verified access token. */
export type AccessTokenClaims = JWTPayload & {
  sub: string;
  jti: string;
  exp: number;
  iat: number;
  scope: string;
  client_id: string;
  role: string;
  patient?: string;
  encounter?: string;
  fhirUser?: string;
};

/**
 * Verifies one of this server's access tokens: ES256 only, a kid of a current or recently
 * retired key, typ at+jwt, our issuer and the FHIR base URL as audience, not expired (small
 * leeway), not revoked. Throws FhirLedgerError "unauthorized" with a safe reason otherwise.
 */
export async function verifyAccessToken(
  token: string,
  options: Pick<AccessTokenVerifierOptions, "keys" | "issuer" | "audience" | "isRevoked" | "now">,
): Promise<AccessTokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthorized("the bearer token is not valid");
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = options.keys.verificationKey(header.alg, header.kid);
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key;
      },
      {
        algorithms: ["ES256"],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "jti", "sub", "scope", "client_id"],
        clockTolerance: LEEWAY_SECONDS,
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      },
    ));
  } catch (cause) {
    throw unauthorized(
      cause instanceof errors.JWTExpired ? "the access token expired" : "the bearer token is not valid",
      cause,
    );
  }
  const claims = payload as AccessTokenClaims;
  if (typeof claims.scope !== "string" || typeof claims.role !== "string" || !ROLES.has(claims.role))
    throw unauthorized("the bearer token is not valid");
  if (options.isRevoked(claims.jti)) throw unauthorized("the access token was revoked");
  return claims;
}

function unauthorized(message: string, cause?: unknown): FhirLedgerError {
  return new FhirLedgerError("unauthorized", message, cause === undefined ? {} : { cause });
}

/** The Actor a verified token stands for. */
export function actorOf(claims: AccessTokenClaims, fhirBaseUrl: string): Actor {
  const prefix = `${fhirBaseUrl}/`;
  const fhirUser = claims.fhirUser?.startsWith(prefix) ? claims.fhirUser.slice(prefix.length) : claims.fhirUser;
  return Object.freeze({
    id: claims.sub,
    role: claims.role as Actor["role"],
    scopes: Object.freeze(claims.scope.split(" ").filter((s) => s !== "")) as string[],
    clientId: claims.client_id,
    tokenId: claims.jti,
    ...(typeof claims.patient === "string" ? { patient: claims.patient } : {}),
    ...(typeof claims.encounter === "string" ? { encounter: claims.encounter } : {}),
    ...(typeof fhirUser === "string" ? { fhirUser } : {}),
  });
}

/**
 * The Authenticator for SMART access tokens (`Authorization: Bearer <jwt>`). It runs on every
 * request, so a verified token's Actor is remembered (bounded) and a repeat costs one expiry
 * check and one revocation lookup instead of a signature verification.
 */
export function accessTokenAuthenticator(options: AccessTokenVerifierOptions): Authenticator {
  const cacheSize = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { actor: Actor; expiresAt: number }>();
  return async function authenticateAccessToken(authorization) {
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization ?? "");
    if (!match) throw unauthorized("a bearer token is required");
    const token = match[1]!;
    const hit = cache.get(token);
    if (hit) {
      if (hit.expiresAt + LEEWAY_SECONDS * 1000 <= now()) {
        cache.delete(token);
        throw unauthorized("the access token expired");
      }
      if (options.isRevoked(hit.actor.tokenId!)) throw unauthorized("the access token was revoked");
      return hit.actor;
    }
    const claims = await verifyAccessToken(token, options);
    const actor = actorOf(claims, options.audience);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(token, { actor, expiresAt: claims.exp * 1000 });
    return actor;
  };
}
