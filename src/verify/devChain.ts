import { DEV_ACCOUNT_ADDRESSES, devAccountIndex } from "../adapters/ledger/devAccounts.ts";

/** Chain id of anvil's and Hardhat's development chains (and of fhirledger's embedded chain). */
export const DEV_CHAIN_ID = 31337n;

/**
 * Why a verification ran against a development chain, one sentence each; empty when nothing says
 * so. On such a chain anyone who reaches the RPC endpoint can anchor (the keys are public, the
 * accounts unlocked), so a root found there shows the server's own consistency, not a proof a
 * third party can rely on.
 */
export function devChainReasons({
  chainId,
  anchoredBy,
}: {
  chainId: bigint | null;
  /** Sender of the anchoring transaction, when known. */
  anchoredBy: string | null;
}): string[] {
  const reasons: string[] = [];
  if (chainId === DEV_CHAIN_ID)
    reasons.push(`chain id ${DEV_CHAIN_ID} is that of anvil and Hardhat development chains`);
  const index = anchoredBy === null ? -1 : devAccountIndex(anchoredBy);
  if (index !== -1)
    reasons.push(
      `the root was anchored by anvil/Hardhat development account #${index} (${DEV_ACCOUNT_ADDRESSES[index]}), whose private key is public`,
    );
  return reasons;
}
