import { canonicalJson } from "../crypto/canonicalJson.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { verifyInclusion } from "../merkle/verifyInclusion.ts";
import { recordLeafHash } from "../records/leaf.ts";
import { hash32Bytes, normalizeHash32 } from "./hash32.ts";
import { isParsedProof, parseProof } from "./parseProof.ts";
import type { ParsedProof } from "./parseProof.ts";
import { fail, pass, shortHash, unchecked } from "./VerificationCheck.ts";
import type { VerificationCheck } from "./VerificationCheck.ts";

export interface VerifyProofLocallyParameters {
  /** The resource exactly as served by GET (JSON value, with meta.versionId). */
  resource: unknown;
  /** The `$verify` Parameters resource, a RecordProof object, or a proof from parseProof. */
  proof: unknown;
}

export interface LocalVerification {
  /** "Type/id/_history/vid" as the resource itself states it; null when it does not. */
  reference: string | null;
  proof: ParsedProof;
  /** contentHash, leafHash, inclusionPath, in that order. */
  checks: VerificationCheck[];
  /** Leaf hash recomputed from the resource and the proof's cid (hex); null when it cannot be. */
  leafHash: string | null;
}

/**
 * The checks that need no network: (a) the canonical SHA-256 of the resource equals the
 * proof's contentHash; (b) the leaf rebuilt from the resource's own type, id and
 * meta.versionId, the proof's cid and the hash from (a) equals the proof's leafHash;
 * (c) the inclusion path leads from that rebuilt leaf to the proof's root.
 *
 * Nothing the proof says about the resource is taken on trust: a proof of another record or
 * version fails (b) and (c), a changed resource fails all three.
 * Throws FhirLedgerError "invalid" only when `proof` is not a proof at all.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 * @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
 */
export function verifyProofLocally({ resource, proof: input }: VerifyProofLocallyParameters): LocalVerification {
  const proof = isParsedProof(input) ? input : parseProof(input);
  const content = checkContentHash(resource, proof);
  const identity = resourceIdentity(resource);
  const leaf = checkLeafHash(identity, content.hash, proof);
  const inclusion = checkInclusion(leaf.hash, proof);
  return {
    reference: "reason" in identity ? null : identity.reference,
    proof,
    checks: [content.check, leaf.check, inclusion],
    leafHash: leaf.hash === null ? null : toHex(leaf.hash),
  };
}

function checkContentHash(resource: unknown, proof: ParsedProof): { check: VerificationCheck; hash: string | null } {
  let hash: string;
  try {
    if (resource === null || typeof resource !== "object" || Array.isArray(resource))
      throw new TypeError("not a JSON object");
    hash = toHex(sha256(canonicalJson(resource)));
  } catch (error) {
    return {
      hash: null,
      check: fail(
        "contentHash",
        `the resource has no canonical JSON form (${error instanceof Error ? error.message : "not JSON"})`,
      ),
    };
  }
  const claimed = normalizeHash32(proof.contentHash);
  if (claimed === null)
    return {
      hash,
      check: fail(
        "contentHash",
        proof.contentHash === null
          ? "the proof has no contentHash"
          : "the proof's contentHash is not a 32-byte hex hash",
      ),
    };
  if (claimed !== hash)
    return {
      hash,
      check: fail(
        "contentHash",
        `the resource hashes to ${shortHash(hash)} but the proof commits to ${shortHash(claimed)}: this is not the stored resource`,
      ),
    };
  return {
    hash,
    check: pass("contentHash", `canonical SHA-256 of the resource is ${shortHash(hash)}, as in the proof`),
  };
}

type Identity = { type: string; id: string; versionId: string; reference: string } | { reason: string };

/** Type, id and version as the resource states them. */
function resourceIdentity(resource: unknown): Identity {
  if (resource === null || typeof resource !== "object" || Array.isArray(resource))
    return { reason: "the resource is not a JSON object" };
  const {
    resourceType: type,
    id,
    meta,
  } = resource as { resourceType?: unknown; id?: unknown; meta?: { versionId?: unknown } | null };
  if (typeof type !== "string") return { reason: "the resource has no resourceType" };
  if (typeof id !== "string") return { reason: "the resource has no id" };
  const versionId = meta !== null && typeof meta === "object" ? meta.versionId : undefined;
  if (typeof versionId !== "string")
    return { reason: "the resource has no meta.versionId (save it exactly as served by GET)" };
  return { type, id, versionId, reference: `${type}/${id}/_history/${versionId}` };
}

function checkLeafHash(
  identity: Identity,
  contentHash: string | null,
  proof: ParsedProof,
): { check: VerificationCheck; hash: Uint8Array | null } {
  if ("reason" in identity) return { hash: null, check: fail("leafHash", identity.reason) };
  if (contentHash === null)
    return { hash: null, check: fail("leafHash", "no leaf without the content hash of the resource") };
  if (proof.cid === null) return { hash: null, check: fail("leafHash", "the proof has no cid") };
  let hash: Uint8Array;
  try {
    hash = recordLeafHash({
      type: identity.type,
      id: identity.id,
      versionId: identity.versionId,
      cid: proof.cid,
      contentHash,
    });
  } catch (error) {
    return {
      hash: null,
      check: fail("leafHash", `no leaf can be built: ${error instanceof Error ? error.message : "invalid input"}`),
    };
  }
  const computed = toHex(hash);
  const claimed = normalizeHash32(proof.leafHash);
  const { reference } = identity;
  if (proof.reference !== null && proof.reference !== reference)
    return { hash, check: fail("leafHash", `the proof is for ${proof.reference} but the resource is ${reference}`) };
  if (claimed === null)
    return {
      hash,
      check: fail(
        "leafHash",
        proof.leafHash === null ? "the proof has no leafHash" : "the proof's leafHash is not a 32-byte hex hash",
      ),
    };
  if (claimed !== computed)
    return {
      hash,
      check: fail(
        "leafHash",
        `the leaf of ${reference} with cid ${proof.cid} is ${shortHash(computed)} but the proof says ${shortHash(claimed)}`,
      ),
    };
  return {
    hash,
    check: pass(
      "leafHash",
      `the leaf of ${reference} with cid ${proof.cid} is ${shortHash(computed)}, as in the proof`,
    ),
  };
}

function checkInclusion(leaf: Uint8Array | null, proof: ParsedProof): VerificationCheck {
  if (proof.root === null && proof.leafIndex === null)
    return fail("inclusionPath", "the proof has no root: the record was not yet anchored when the proof was taken");
  const root = hash32Bytes(proof.root);
  if (root === null) return fail("inclusionPath", "the proof's root is missing or not a 32-byte hex hash");
  if (proof.leafIndex === null || proof.treeSize === null)
    return fail("inclusionPath", "the proof has no leafIndex or treeSize");
  const path: Uint8Array[] = [];
  for (const step of proof.path) {
    const bytes = hash32Bytes(step);
    if (bytes === null) return fail("inclusionPath", `path step ${path.length + 1} is not a 32-byte hex hash`);
    path.push(bytes);
  }
  if (leaf === null) return unchecked("inclusionPath", "no leaf could be rebuilt from the resource");
  const where = `leaf ${proof.leafIndex} of ${proof.treeSize} to root ${shortHash(toHex(root))}`;
  if (!verifyInclusion({ leafHash: leaf, index: proof.leafIndex, treeSize: proof.treeSize, proof: path, root })) {
    return fail("inclusionPath", `the path does not lead from ${where}`);
  }
  return pass("inclusionPath", `the path leads from ${where} in ${path.length} steps`);
}
