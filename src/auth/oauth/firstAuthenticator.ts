import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Authenticator } from "../Actor.ts";

/**
 * Tries each authenticator in order (e.g. SMART access tokens, an external OpenID provider, the
 * development token) and answers with the first that accepts; when none does, the first one's
 * refusal (the most specific for the usual token) is thrown.
 */
export function firstAuthenticator(authenticators: readonly Authenticator[]): Authenticator {
  if (authenticators.length === 0) throw new FhirLedgerError("invalid", "at least one authenticator is needed");
  return async function authenticateAny(authorization) {
    let first: unknown;
    for (const authenticate of authenticators) {
      try {
        return await authenticate(authorization);
      } catch (error) {
        first ??= error;
      }
    }
    throw first;
  };
}
