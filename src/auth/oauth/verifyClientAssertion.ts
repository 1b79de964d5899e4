import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JSONWebKeySet } from "jose";
import type { OAuthClient } from "./ClientRegistry.ts";
import { OAuthError } from "./OAuthError.ts";
import type { ServerContext } from "./ServerContext.ts";

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** SMART Backend Services: RS384 and ES384 (nothing symmetric, never "none"). */
export const ASSERTION_ALGORITHMS = ["RS384", "ES384"];
/** RFC 7523 assertions are short-lived: exp at most this far ahead. */
export const MAX_ASSERTION_SECONDS = 300;
export const MAX_ASSERTION_LENGTH = 8192;
const CLOCK_SKEW_SECONDS = 5;

type KeySet = ReturnType<typeof createLocalJWKSet>;
/** Imported key sets by their JSON: importing a JWK costs more than the rest of a token request. */
const keySets = new Map<string, KeySet>();
const MAX_KEY_SETS = 512;

function keySetOf(jwks: JSONWebKeySet): KeySet {
  const text = JSON.stringify(jwks);
  let set = keySets.get(text);
  if (!set) {
    set = createLocalJWKSet(jwks);
    if (keySets.size >= MAX_KEY_SETS) keySets.delete(keySets.keys().next().value!);
    keySets.set(text, set);
  }
  return set;
}

function refuse(why: string, cause?: unknown): OAuthError {
  return new OAuthError("invalid_client", `client authentication failed: ${why}`, { cause });
}

/**
 * Authenticates a private_key_jwt client by its assertion (RFC 7523 §3, SMART Backend
 * Services): signed with one of the client's keys by an allowed algorithm, iss = sub =
 * client_id, aud = the token endpoint, exp at most five minutes ahead, and a jti not seen before.
 */
export async function verifyClientAssertion(ctx: ServerContext, client: OAuthClient, assertion: string): Promise<void> {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw refuse("the client_assertion is too long");
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch (cause) {
    throw refuse("the client_assertion is not a JWT", cause);
  }
  if (!ASSERTION_ALGORITHMS.includes(String(alg)))
    throw refuse(`the assertion must be signed with ${ASSERTION_ALGORITHMS.join(" or ")}`);
  const options = {
    algorithms: ASSERTION_ALGORITHMS,
    issuer: client.clientId,
    subject: client.clientId,
    audience: ctx.tokenUrl,
    requiredClaims: ["exp", "jti", "iss", "sub", "aud"],
    clockTolerance: CLOCK_SKEW_SECONDS,
    currentDate: new Date(ctx.store.now),
  };
  let payload;
  try {
    if (client.jwks) {
      ({ payload } = await jwtVerify(assertion, keySetOf(client.jwks), options));
    } else {
      const uri = client.jwksUri!;
      try {
        ({ payload } = await jwtVerify(assertion, keySetOf(await ctx.remoteJwks.get(uri)), options));
      } catch (error) {
        // A key the cached set lacks: the client may have rotated; look once more.
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        const fresh = await ctx.remoteJwks.get(uri, { stale: true });
        ({ payload } = await jwtVerify(assertion, keySetOf(fresh), options));
      }
    }
  } catch (cause) {
    if (cause instanceof OAuthError) throw cause;
    throw refuse(assertionProblem(cause), cause);
  }
  const now = Math.floor(ctx.store.now / 1000);
  if (payload.exp! > now + MAX_ASSERTION_SECONDS + CLOCK_SKEW_SECONDS)
    throw refuse(`the assertion's exp is more than ${MAX_ASSERTION_SECONDS} seconds ahead`);
  if (typeof payload.jti !== "string" || payload.jti === "" || payload.jti.length > 256)
    throw refuse("the assertion's jti is a string of 1-256 characters");
  if (!ctx.store.rememberAssertion(client.clientId, payload.jti, payload.exp! * 1000 + CLOCK_SKEW_SECONDS * 1000))
    throw refuse("the assertion was used before (jti replay)");
}

/** A safe, specific reason (jose's codes name the check, never the key or the token). */
function assertionProblem(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the assertion expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `the assertion's ${error.claim} claim is not valid`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the assertion's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the client matches the assertion";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the assertion's algorithm is not allowed";
  return "the assertion is not valid";
}
