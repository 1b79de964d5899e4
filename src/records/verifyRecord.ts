import { toHex } from "../crypto/hex.ts";
import { verifyInclusion } from "../merkle/verifyInclusion.ts";
import type { Index } from "../ports/Index.ts";
import type { VersionRow } from "../ports/VersionStore.ts";
import type { Ledger } from "../ports/Ledger.ts";
import { DELETED_MARKER_CID } from "./RecordRepository.ts";
import type { RecordRepository } from "./RecordRepository.ts";
import { recordLeafData } from "./leaf.ts";

/**
 * verified: every check passed, the root is on chain. pending: not anchored yet. unavailable:
 * anchored, but the chain could not be asked now (nothing is known to be wrong). mismatch: a
 * check failed.
 */
export type Verdict = "verified" | "pending" | "unavailable" | "mismatch";

/** Everything a third party needs to check one version against the chain. */
export interface RecordProof {
  verdict: Verdict;
  reason: string | null;
  reference: string;
  leafData: string;
  leafHash: string;
  cid: string;
  contentHash: string;
  leafIndex: number | null;
  treeSize: number | null;
  path: string[];
  root: string | null;
  prevRoot: string | null;
  manifestDigest: string | null;
  chainId: string | null;
  contract: string | null;
  txHash: string | null;
  blockNumber: number | null;
}

/**
 * Checks a stored version end to end: blob decrypts and matches its hash, the leaf is in its
 * batch's tree, and the chain really holds that root (asked now, not taken from the index).
 */
export async function verifyRecord(
  version: VersionRow,
  deps: { index: Index; ledger: Ledger; records: RecordRepository },
): Promise<RecordProof> {
  const cid = version.cid ?? DELETED_MARKER_CID;
  const leafData = recordLeafData({
    type: version.type,
    id: version.id,
    versionId: String(version.versionId),
    cid,
    contentHash: version.contentHash,
  });
  const proof = await deps.index.leafProof(version.leafSeq);
  const batch = proof?.batch ?? null;
  const base: RecordProof = {
    verdict: "pending",
    reason: null,
    reference: `${version.type}/${version.id}/_history/${version.versionId}`,
    leafData: new TextDecoder().decode(leafData),
    leafHash: proof ? toHex(proof.leafHash) : "",
    cid,
    contentHash: version.contentHash,
    leafIndex: proof?.leafIndex ?? null,
    treeSize: batch?.size ?? null,
    path: (proof?.path ?? []).map(toHex),
    root: batch ? toHex(batch.root) : null,
    prevRoot: batch ? toHex(batch.prevRoot) : null,
    manifestDigest: batch ? toHex(batch.manifestDigest) : null,
    chainId: batch?.chainId ?? null,
    contract: batch?.contract ?? null,
    txHash: batch?.txHash ?? null,
    blockNumber: batch?.blockNumber ?? null,
  };
  const mismatch = (reason: string): RecordProof => ({ ...base, verdict: "mismatch", reason });

  const check = await deps.records.check(version, { fresh: true });
  if (!check.ok) return mismatch(check.reason);
  base.leafHash = toHex(check.leafHash);
  if (!proof || !batch || batch.state !== "anchored" || proof.leafIndex === null || !proof.path) {
    return { ...base, reason: "queued for anchoring" };
  }
  if (
    !verifyInclusion({
      leafHash: check.leafHash,
      index: proof.leafIndex,
      treeSize: batch.size,
      proof: proof.path,
      root: batch.root,
    })
  ) {
    return mismatch("inclusion path does not lead to the batch root");
  }
  let onChain;
  try {
    onChain = await deps.ledger.findAnchor(
      batch.root,
      batch.blockNumber === null ? {} : { blockNumber: batch.blockNumber },
    );
  } catch {
    return { ...base, verdict: "unavailable", reason: "chain unreachable: the anchor could not be checked now" };
  }
  if (!onChain) return mismatch("the chain does not hold this root");
  if (onChain.contract.toLowerCase() !== (batch.contract ?? "").toLowerCase())
    return mismatch("root anchored by a different contract");
  if (onChain.size !== batch.size || toHex(onChain.manifestDigest) !== toHex(batch.manifestDigest))
    return mismatch("anchored batch differs from the index");
  return {
    ...base,
    verdict: "verified",
    chainId: onChain.chainId.toString(),
    txHash: onChain.txHash,
    blockNumber: onChain.blockNumber,
  };
}
