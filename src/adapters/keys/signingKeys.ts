import { createPrivateKey, generateKeyPairSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { canonicalJson } from "../../crypto/canonicalJson.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SigningAlgorithm } from "../../ports/KeyStore.ts";

/** Signing keys kept per algorithm: the current one and the retired ones whose tokens may still live. */
export const KEPT_SIGNING_KEYS = 4;

const ALGORITHMS: readonly SigningAlgorithm[] = ["ES256", "RS256"];

/** Refuses anything but the algorithms the authorization server signs with. */
export function assertSigningAlgorithm(alg: unknown): asserts alg is SigningAlgorithm {
  if (!ALGORITHMS.includes(alg as SigningAlgorithm))
    throw new FhirLedgerError("invalid", "signing keys are ES256 or RS256");
}

/** A fresh key pair: P-256 for ES256, 2048-bit RSA for RS256; the kid is random (it names no one). */
export function generateSigningKey(alg: SigningAlgorithm): { kid: string; privateKey: KeyObject; pkcs8: Uint8Array } {
  const { privateKey } =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
  return { kid: randomBytes(16).toString("base64url"), privateKey, pkcs8 };
}

/** The private key back from its PKCS#8 bytes. */
export function importSigningKey(pkcs8: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
}

const encoder = new TextEncoder();

/** Binds a wrapped signing key to its kid, algorithm and KEK, so a row swapped for another's does not unwrap. */
export function signingKeyAad(kid: string, alg: string, kek: string): Uint8Array {
  return encoder.encode(canonicalJson({ purpose: "signing-key", kid, alg, kekId: kek }));
}
