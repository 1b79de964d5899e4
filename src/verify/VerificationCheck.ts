/**
 * The named checks of an offline verification, in the order they run.
 * Local (no network): contentHash, leafHash, inclusionPath.
 * Chain (JSON-RPC): contractAddress, chainId, contractCode, anchorEvent, anchorChain, transactionReceipt.
 */
export type CheckName =
  | "contentHash"
  | "leafHash"
  | "inclusionPath"
  | "contractAddress"
  | "chainId"
  | "contractCode"
  | "anchorEvent"
  | "anchorChain"
  | "transactionReceipt";

/** `unchecked`: the check could not run (chain unreachable, nothing to check against); never a pass. */
export type CheckStatus = "pass" | "fail" | "unchecked";

export interface VerificationCheck {
  name: CheckName;
  status: CheckStatus;
  /** One short sentence a person can act on; hashes and addresses, never resource content. */
  reason: string;
}

export const pass = (name: CheckName, reason: string): VerificationCheck => ({ name, status: "pass", reason });
export const fail = (name: CheckName, reason: string): VerificationCheck => ({ name, status: "fail", reason });
export const unchecked = (name: CheckName, reason: string): VerificationCheck => ({
  name,
  status: "unchecked",
  reason,
});

/** Shortens a 64-hex hash for messages: first and last 8 characters. */
export function shortHash(hex: string): string {
  return hex.length > 20 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}
