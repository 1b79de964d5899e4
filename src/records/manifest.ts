import { canonicalJson } from "../crypto/canonicalJson.ts";
import { openEnvelope, sealEnvelope } from "../crypto/envelope.ts";
import { toHex } from "../crypto/hex.ts";
import type { KeyStore } from "../ports/KeyStore.ts";
import type { PendingLeaf } from "../ports/AnchoringOutbox.ts";
import { DELETED_MARKER_CID } from "./RecordRepository.ts";

/** Keys of batch manifests live in their own compartment. */
export const MANIFEST_COMPARTMENT = "_manifest";

/** One leaf as the manifest lists it: enough to find and check the record again. */
export type ManifestEntry = RecordEntry | ErasedEntry;

/** A leaf whose version was erased before its batch was built: only the hash remains. */
export interface ErasedEntry {
  erased: true;
  leafHash: string;
}

export interface RecordEntry {
  ref: string;
  cid: string;
  hash: string;
  keyId: string | null;
  lastUpdated: string;
  compartment: string | null;
  /** The version created its resource through update (PUT with a client id); absent otherwise and in older manifests. */
  createdByUpdate?: true;
}

export interface BatchManifest {
  v: 1;
  prevRoot: string;
  leaves: ManifestEntry[];
}

/** Builds a batch manifest (leaves → CIDs): with the chain and the keys, enough to rebuild the index. */
export function buildManifest(leaves: PendingLeaf[], prevRoot: Uint8Array): BatchManifest {
  return {
    v: 1,
    prevRoot: toHex(prevRoot),
    leaves: leaves.map(
      ({ version: v, leafHash }): ManifestEntry =>
        v === null
          ? { erased: true, leafHash: toHex(leafHash) }
          : {
              ref: `${v.type}/${v.id}/_history/${v.versionId}`,
              cid: v.cid ?? DELETED_MARKER_CID,
              hash: v.contentHash,
              keyId: v.keyId,
              lastUpdated: v.lastUpdated,
              compartment: v.compartment,
              ...(v.createdByUpdate ? { createdByUpdate: true as const } : {}),
            },
    ),
  };
}

/** Encrypts a manifest; the AAD binds it to its batch root so manifests can't be swapped. */
export async function sealManifest(manifest: BatchManifest, root: Uint8Array, keys: KeyStore): Promise<Uint8Array> {
  const key = await keys.currentDataKey(MANIFEST_COMPARTMENT);
  const plaintext = new TextEncoder().encode(canonicalJson(manifest));
  return sealEnvelope({ plaintext, key, aad: { type: "BatchManifest", id: toHex(root), versionId: "1" } });
}

export async function openManifest(envelope: Uint8Array, root: Uint8Array, keys: KeyStore): Promise<BatchManifest> {
  const plaintext = await openEnvelope({
    envelope,
    keyFor: (id) => keys.dataKey(id),
    aad: { type: "BatchManifest", id: toHex(root), versionId: "1" },
  });
  return JSON.parse(new TextDecoder().decode(plaintext)) as BatchManifest;
}
