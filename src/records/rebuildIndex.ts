import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { openEnvelope } from "../crypto/envelope.ts";
import { fromHex, toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { inclusionProofs } from "../merkle/inclusionProofs.ts";
import { merkleRoot } from "../merkle/merkleRoot.ts";
import type { BlobStore } from "../ports/BlobStore.ts";
import type { Index } from "../ports/Index.ts";
import type { RestoreBatch } from "../ports/RebuildTarget.ts";
import type { DataKey, KeyStore } from "../ports/KeyStore.ts";
import type { Ledger } from "../ports/Ledger.ts";
import type { Logger } from "../ports/Logger.ts";
import { recordLeafHash } from "./leaf.ts";
import type { RecordEntry } from "./manifest.ts";
import { openManifest } from "./manifest.ts";
import { DELETED_MARKER_CID } from "./RecordRepository.ts";
import { R4_ID_SOURCE as ID_SOURCE, RESOURCE_TYPE_NAME_SOURCE } from "../fhir/ids.ts";

export interface RebuildReport {
  batches: number;
  leaves: number;
  versions: number;
  /** Versions whose keys were destroyed or whose blobs are gone (erasure): not restored. */
  unavailable: number;
  /** Places where a batch's prevRoot is not the root before it (a lost or re-anchored chain segment). */
  chainBreaks: number;
  seconds: number;
}

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;
const REF = new RegExp(`^(${RESOURCE_TYPE_NAME_SOURCE})/(${ID_SOURCE})/_history/([1-9][0-9]{0,9})$`);

/**
 * Builds an index from the ledger alone: every RootAnchored event names a batch root and the
 * digest of its encrypted manifest, whose CID follows from that digest; the manifest lists the
 * leaves' CIDs; the keys decrypt them. Each manifest is checked against its root and each
 * record against its hash before anything is written.
 */
export async function rebuildIndex(deps: {
  ledger: Ledger;
  blobs: BlobStore;
  keys: KeyStore;
  index: Index;
  log?: Logger;
  /** Every patient compartment a restored resource is in (see VersionWrite.compartments). */
  compartmentsOf?: (resource: Record<string, unknown>) => readonly string[];
}): Promise<RebuildReport> {
  const started = performance.now();
  // Keys don't change during a rebuild: look each one up once.
  const keyCache = new Map<string, Promise<DataKey>>();
  const keys: Pick<KeyStore, "dataKey"> = {
    dataKey: (keyId) => {
      let key = keyCache.get(keyId);
      if (!key) {
        key = deps.keys.dataKey(keyId);
        keyCache.set(keyId, key);
      }
      return key;
    },
  };
  const anchors = await deps.ledger.listAnchors();
  const report: RebuildReport = { batches: 0, leaves: 0, versions: 0, unavailable: 0, chainBreaks: 0, seconds: 0 };
  const seenRoots = new Set<string>();
  let previous: Uint8Array = new Uint8Array(32);
  const unavailableRefs = new Set<string>();
  for (const anchor of anchors) {
    const rootHex = toHex(anchor.root);
    if (seenRoots.has(rootHex)) continue; // a root anchored twice (re-anchoring) counts once
    seenRoots.add(rootHex);
    if (toHex(anchor.prevRoot) !== toHex(previous)) report.chainBreaks += 1;
    previous = anchor.root;

    const manifestCid = CID.createV1(RAW_CODEC, Digest.create(SHA2_256, anchor.manifestDigest)).toString();
    const sealed = await deps.blobs.get(manifestCid);
    const manifest = await openManifest(sealed, anchor.root, deps.keys);
    const leafHashes = manifest.leaves.map((e) => ("erased" in e ? fromHex(e.leafHash) : leafHashOf(e)));
    if (leafHashes.length !== anchor.size || toHex(merkleRoot(leafHashes)) !== rootHex) {
      throw new FhirLedgerError(
        "integrity",
        `manifest of batch ${rootHex.slice(0, 16)}… does not match its anchored root`,
      );
    }
    // Fetch and decrypt the batch's records concurrently (I/O bound), then restore in order.
    const entries = manifest.leaves;
    const restored = new Array<Record<string, unknown> | null | undefined>(entries.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(32, entries.length) }, async () => {
        while (next < entries.length) {
          const i = next++;
          const entry = entries[i]!;
          if ("erased" in entry || entry.cid === DELETED_MARKER_CID) continue;
          const [, type, id, vid] = REF.exec(entry.ref) ?? [];
          if (!type || !id || !vid) throw new FhirLedgerError("integrity", "manifest entry has a malformed reference");
          restored[i] = await restoreRecord(entry, type, id, vid, { blobs: deps.blobs, keys });
        }
      }),
    );
    const leaves: RestoreBatch["leaves"] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if ("erased" in entry) {
        leaves.push({ leafHash: leafHashes[i]!, version: null });
        continue;
      }
      const [, type, id, vid] = REF.exec(entry.ref) ?? [];
      if (!type || !id || !vid) throw new FhirLedgerError("integrity", "manifest entry has a malformed reference");
      const base = {
        type,
        id,
        versionId: Number(vid),
        lastUpdated: entry.lastUpdated,
        cid: entry.cid === DELETED_MARKER_CID ? null : entry.cid,
        contentHash: entry.hash,
        keyId: entry.keyId,
        compartment: entry.compartment,
        ...(entry.createdByUpdate === true ? { createdByUpdate: true } : {}),
      };
      if (entry.cid === DELETED_MARKER_CID && unavailableRefs.has(`${type}/${id}`)) {
        leaves.push({ leafHash: leafHashes[i]!, version: null });
        report.unavailable += 1;
        continue;
      }
      if (entry.cid === DELETED_MARKER_CID) {
        leaves.push({ leafHash: leafHashes[i]!, version: { ...base, deleted: true } });
        report.versions += 1;
        continue;
      }
      const resource = restored[i];
      if (!resource || unavailableRefs.has(`${type}/${id}`)) {
        // Erased (keys destroyed, blob gone): the leaf stays, the record does not come back.
        unavailableRefs.add(`${type}/${id}`);
        leaves.push({ leafHash: leafHashes[i]!, version: null });
        report.unavailable += 1;
        continue;
      }
      // none outside a patient compartment: audit records are kept there on purpose (see AuditTrail)
      const compartments = entry.compartment === null ? [] : (deps.compartmentsOf?.(resource) ?? []);
      leaves.push({
        leafHash: leafHashes[i]!,
        version: { ...base, deleted: false, resource, ...(compartments.length > 0 ? { compartments } : {}) },
      });
      report.versions += 1;
    }
    await deps.index.restoreBatch({
      batch: {
        root: anchor.root,
        prevRoot: anchor.prevRoot,
        size: anchor.size,
        manifestCid,
        manifestDigest: anchor.manifestDigest,
        chainId: anchor.chainId.toString(),
        contract: anchor.contract,
        txHash: anchor.txHash,
        blockNumber: anchor.blockNumber,
      },
      leaves,
      paths: inclusionProofs(leafHashes),
    });
    report.batches += 1;
    report.leaves += leaves.length;
  }
  report.seconds = (performance.now() - started) / 1000;
  deps.log?.info(
    `rebuilt ${report.versions} versions from ${report.batches} anchored batches in ${report.seconds.toFixed(2)} s (${report.unavailable} erased or unavailable, ${report.chainBreaks} chain breaks)`,
  );
  return report;
}

function leafHashOf(entry: RecordEntry): Uint8Array {
  const [, type, id, vid] = REF.exec(entry.ref) ?? [];
  if (!type || !id || !vid) throw new FhirLedgerError("integrity", "manifest entry has a malformed reference");
  return recordLeafHash({ type, id, versionId: vid, cid: entry.cid, contentHash: entry.hash });
}

/** Decrypts and checks one record; null when its key was destroyed or its blob is gone. */
async function restoreRecord(
  entry: RecordEntry,
  type: string,
  id: string,
  versionId: string,
  deps: { blobs: BlobStore; keys: Pick<KeyStore, "dataKey"> },
): Promise<Record<string, unknown> | null> {
  let envelope: Uint8Array;
  try {
    envelope = deps.blobs.getSync ? deps.blobs.getSync(entry.cid) : await deps.blobs.get(entry.cid);
  } catch (error) {
    if (error instanceof FhirLedgerError && error.code === "not-found") return null;
    throw error;
  }
  let plaintext: Uint8Array;
  try {
    plaintext = await openEnvelope({ envelope, keyFor: (k) => deps.keys.dataKey(k), aad: { type, id, versionId } });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof FhirLedgerError && cause.code === "gone") return null;
    throw error;
  }
  if (toHex(sha256(plaintext)) !== entry.hash)
    throw new FhirLedgerError("integrity", `${type}/${id}/_history/${versionId} does not match its hash`);
  return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
}
