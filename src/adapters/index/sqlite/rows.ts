import type { BatchRow, BatchState, PendingLeaf } from "../../../ports/AnchoringOutbox.ts";
import type { CurrentRow, VersionRow } from "../../../ports/VersionStore.ts";

export type Row = Record<string, unknown>;

/** SQLite BLOB columns come back as Uint8Array (or ArrayBuffer): normalise. */
export function toBytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer);
}

/** A versions row (joined with its resource's type and id, and optionally its leaf hash). */
export function toVersion(r: Row): VersionRow {
  return {
    type: String(r.type),
    id: String(r.id),
    versionId: Number(r.version),
    lastUpdated: String(r.last_updated),
    deleted: Number(r.deleted) === 1,
    cid: (r.cid as string | null) ?? null,
    contentHash: String(r.content_hash),
    keyId: (r.key_id as string | null) ?? null,
    compartment: (r.compartment as string | null) ?? null,
    leafSeq: Number(r.leaf_seq),
    ...(Number(r.created_by_update) === 1 ? { createdByUpdate: true } : {}),
    ...(r.leaf_hash !== undefined && r.leaf_hash !== null ? { leafHash: toBytes(r.leaf_hash) } : {}),
  };
}

/** A leaves row, with its version when the leaf has one (a version row joined in). */
export function toLeaf(r: Row): PendingLeaf {
  return {
    seq: Number(r.seq),
    leafHash: toBytes(r.leaf_hash),
    version: r.rid === null || r.rid === undefined ? null : toVersion({ ...r, leaf_seq: r.seq }),
  };
}

/** A resources row: the current state of one resource. */
export function toCurrent(r: Row): CurrentRow {
  return {
    rid: Number(r.rid),
    type: String(r.type),
    id: String(r.id),
    versionId: Number(r.version),
    deleted: Number(r.deleted) === 1,
    lastUpdated: String(r.last_updated),
    compartment: (r.compartment as string | null) ?? null,
  };
}

/** A batches row. */
export function toBatch(r: Row): BatchRow {
  return {
    batchId: Number(r.batch_id),
    root: toBytes(r.root),
    prevRoot: toBytes(r.prev_root),
    size: Number(r.size),
    firstSeq: Number(r.first_seq),
    lastSeq: Number(r.last_seq),
    manifestCid: String(r.manifest_cid),
    manifestDigest: toBytes(r.manifest_digest),
    state: r.state as BatchState,
    chainId: (r.chain_id as string | null) ?? null,
    contract: (r.contract as string | null) ?? null,
    txHash: (r.tx_hash as string | null) ?? null,
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    anchoredAt: (r.anchored_at as string | null) ?? null,
  };
}
