import { AbiCoder, keccak256 } from "ethers";
import type { TypedDataDomain } from "ethers";

/**
 * The EIP-712 messages ConsentRegistry accepts from a patient's wallet (grantBySig,
 * revokeBySig): one definition for the server, wallets' signing requests, tests and benches.
 * Must match contracts/ConsentRegistry.sol (its GRANT_TYPEHASH / REVOKE_TYPEHASH are checked
 * against these in test/contracts/ConsentRegistry.test.ts).
 */
export const CONSENT_EIP712_NAME = "FhirLedger ConsentRegistry";
export const CONSENT_EIP712_VERSION = "1";

export const GRANT_TYPES = {
  Grant: [
    { name: "commitment", type: "bytes32" },
    { name: "expiresAt", type: "uint64" },
    { name: "patient", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const REVOKE_TYPES = {
  Revoke: [
    { name: "commitment", type: "bytes32" },
    { name: "patient", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The signing domain of one deployed ConsentRegistry. */
export function consentDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: CONSENT_EIP712_NAME, version: CONSENT_EIP712_VERSION, chainId, verifyingContract };
}

/**
 * The key under which ConsentRegistry records a patient-signed grant of `commitment`:
 * keccak256(abi.encode(commitment, patient)), as its `patientCommitment` computes it. Binding the
 * key to the signer means a grant someone else signs for the same commitment lands elsewhere, so
 * it cannot take the patient's place. `status`, `revoke`, `revokeBySig` and the events use this key.
 */
export function patientCommitment(commitment: string, patient: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "address"], [commitment, patient]));
}
