import type { VersionRow } from "../../../ports/Index.ts";

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
