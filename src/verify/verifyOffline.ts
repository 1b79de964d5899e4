import { verifyAnchorOnChain } from "./verifyAnchorOnChain.ts";
import type { AnchorOnChain } from "./verifyAnchorOnChain.ts";
import { verifyProofLocally } from "./verifyProofLocally.ts";
import type { VerificationCheck } from "./VerificationCheck.ts";

export interface VerifyOfflineParameters {
  /** The resource exactly as served by GET (JSON value, with meta.versionId). */
  resource: unknown;
  /** The `$verify` Parameters resource, or the plain RecordProof JSON. */
  proof: unknown;
  /** A JSON-RPC endpoint of the chain, chosen by the verifier. */
  rpcUrl: string;
  /** The RecordAnchor contract address the verifier trusts. */
  contract: string;
  /** Per RPC call; default 15 s. */
  timeoutMs?: number;
}

/**
 * `verified`: every check passed. `mismatch`: at least one failed (tampered or foreign
 * resource, bad proof, root not anchored by that contract). `inconclusive`: nothing failed
 * but something could not be checked (chain unreachable).
 */
export type OfflineVerdictCode = "verified" | "mismatch" | "inconclusive";

export interface OfflineVerdict {
  verdict: OfflineVerdictCode;
  /** "Type/id/_history/vid" as the resource states it. */
  reference: string | null;
  /** Local checks (contentHash, leafHash, inclusionPath), then chain checks. */
  checks: VerificationCheck[];
  /** The anchoring event as the chain reports it, when one was found. */
  anchor: AnchorOnChain | null;
  /**
   * Why the chain is a development chain (chain id 31337, anchored by a public dev key); empty when
   * nothing says so. A result there shows consistency, not a proof a third party can rely on.
   */
  devChain: string[];
}

/**
 * Checks one resource version against its `$verify` proof and the chain, using nothing of the
 * server that issued it: no database, no keys, no trust in the proof's own verdict.
 * Throws FhirLedgerError "invalid" when the proof is not a proof or the contract not an address.
 */
export async function verifyOffline({
  resource,
  proof,
  rpcUrl,
  contract,
  timeoutMs,
}: VerifyOfflineParameters): Promise<OfflineVerdict> {
  const local = verifyProofLocally({ resource, proof });
  const chain = await verifyAnchorOnChain({
    proof: local.proof,
    rpcUrl,
    contract,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const checks = [...local.checks, ...chain.checks];
  return {
    verdict: verdictOf(checks),
    reference: local.reference,
    checks,
    anchor: chain.anchor,
    devChain: chain.devChain,
  };
}

/** The overall verdict of a list of checks: verified only when every one passed. */
export function verdictOf(checks: readonly VerificationCheck[]): OfflineVerdictCode {
  if (checks.some((c) => c.status === "fail")) return "mismatch";
  if (checks.length === 0 || checks.some((c) => c.status !== "pass")) return "inconclusive";
  return "verified";
}
