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
