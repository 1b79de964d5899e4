import { concat, getBytes, keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../../crypto/canonicalJson.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/** Extension holding a wallet-held Consent's commitment (valueString, 0x + 64 hex digits). */
export const COMMITMENT_EXTENSION = "urn:fhirledger:consent-commitment";
/** Extension holding the 32-byte salt the commitment was computed with (valueString, 0x + 64 hex digits). */
export const SALT_EXTENSION = "urn:fhirledger:consent-salt";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Whether `value` is 0x followed by exactly 64 hex digits. */
export function isBytes32(value: unknown): value is string {
  return typeof value === "string" && BYTES32.test(value);
}

/**
 * The part of a Consent a wallet signature commits to: everything except `id`, `meta`, `text`,
 * `status` and the commitment and salt extensions. Status is left out so that approving a
 * proposed Consent (proposed → active) or revoking it (→ inactive) keeps the commitment; meta
 * and text change with every write without changing what is allowed.
 */
export function enforceablePart(consent: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, text: _text, status: _status, ...rest } = consent;
  if (Array.isArray(rest.extension)) {
    const kept = (rest.extension as unknown[]).filter((e) => {
      const url = (e as { url?: unknown } | null)?.url;
      return url !== COMMITMENT_EXTENSION && url !== SALT_EXTENSION;
    });
    if (kept.length > 0) rest.extension = kept;
    else delete rest.extension;
  }
  return rest;
}

/**
 * keccak256(salt ‖ canonicalJson(enforceablePart(consent))): what a patient's wallet signs in an
 * EIP-712 Grant, so the chain holds a salted hash that reveals nothing about the Consent and
 * binds every element of it that decides access.
 * @throws FhirLedgerError "invalid" when `salt` is not 32 bytes of hex.
 */
export function consentCommitment(consent: Record<string, unknown>, salt: string): string {
  if (!isBytes32(salt)) throw new FhirLedgerError("invalid", "the salt must be 0x followed by 64 hex digits");
  return keccak256(concat([getBytes(salt), toUtf8Bytes(canonicalJson(enforceablePart(consent)))]));
}

/** The commitment and salt a Consent carries in its extensions; undefined unless both are there, once each and well formed. */
export function commitmentExtensions(
  consent: Record<string, unknown>,
): { commitment: string; salt: string } | undefined {
  if (!Array.isArray(consent.extension)) return undefined;
  const values = (url: string) =>
    (consent.extension as unknown[])
      .filter((e) => (e as { url?: unknown } | null)?.url === url)
      .map((e) => (e as { valueString?: unknown }).valueString);
  const commitments = values(COMMITMENT_EXTENSION);
  const salts = values(SALT_EXTENSION);
  if (commitments.length !== 1 || salts.length !== 1) return undefined;
  const [commitment, salt] = [commitments[0], salts[0]];
  if (!isBytes32(commitment) || !isBytes32(salt)) return undefined;
  return { commitment: commitment.toLowerCase(), salt: salt.toLowerCase() };
}

/** `consent` with its commitment and salt extensions set to these (any earlier ones replaced). */
export function withCommitment(
  consent: Record<string, unknown>,
  commitment: string,
  salt: string,
): Record<string, unknown> {
  const others = Array.isArray(consent.extension)
    ? (consent.extension as unknown[]).filter((e) => {
        const url = (e as { url?: unknown } | null)?.url;
        return url !== COMMITMENT_EXTENSION && url !== SALT_EXTENSION;
      })
    : [];
  return {
    ...consent,
    extension: [
      ...others,
      { url: COMMITMENT_EXTENSION, valueString: commitment },
      { url: SALT_EXTENSION, valueString: salt },
    ],
  };
}
