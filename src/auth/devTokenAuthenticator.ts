import { timingSafeEqual } from "node:crypto";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { Actor, Authenticator } from "./Actor.ts";

/**
 * Development authentication: one static bearer token (printed at start-up) that stands for
 * an integration client (role `system`) with `system/*.*`: administrators see no clinical
 * data by role (see src/policy), so the token curl and scripts use is a system client's.
 * `expiresAt` (epoch ms): refused from then on (the server issues a new one at each start).
 */
export function devTokenAuthenticator(
  token: string,
  options: { expiresAt?: number; now?: () => number } = {},
): Authenticator {
  if (token.length < 16) throw new FhirLedgerError("invalid", "development token must be at least 16 characters");
  const { expiresAt } = options;
  const now = options.now ?? Date.now;
  const expected = Buffer.from(token, "utf8");
  const actor: Actor = { id: "dev-admin", role: "system", scopes: ["system/*.*"] };
  return async function authenticateDevToken(authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) throw new FhirLedgerError("unauthorized", "a bearer token is required");
    const given = Buffer.from(match[1]!, "utf8");
    // Constant time: compare equal-length buffers only, and always do one comparison.
    const sameLength = given.length === expected.length;
    const ok = timingSafeEqual(sameLength ? given : expected, expected) && sameLength;
    if (!ok) throw new FhirLedgerError("unauthorized", "the bearer token is not valid");
    if (expiresAt !== undefined && now() >= expiresAt)
      throw new FhirLedgerError(
        "unauthorized",
        "the development token expired: restarting the server issues a new one",
      );
    return actor;
  };
}
