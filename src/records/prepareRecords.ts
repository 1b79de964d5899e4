import { sealEnvelope } from "../crypto/envelope.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { extractSearchValues } from "../fhir/search/extractSearchValues.ts";
import { RowPacker } from "../fhir/search/packedRows.ts";
import type { RowSlice } from "../fhir/search/packedRows.ts";
import type { DataKey } from "../ports/KeyStore.ts";

/** One record version to seal: its canonical JSON and what its envelope's AAD binds. */
export interface PrepareItem {
  /** RFC 8785 canonical JSON of the stored resource (meta included). */
  text: string;
  type: string;
  id: string;
  versionId: string;
  keyId: string;
}

/** Exactly one of `envelope` (for the caller to store) and `cid` (stored already). */
export interface Prepared {
  /** The "FLE1" envelope for the blob store. */
  envelope?: Uint8Array;
  /** The envelope's CID, when the preparer stored it itself (WorkerPreparer with local blocks). */
  cid?: string;
  /** Hex SHA-256 of the plaintext (the UTF-8 canonical JSON). */
  contentHash: string;
  /** The resource's search rows, when extracted here (else the index extracts them); the slices of one batch share one PackedRows. */
  rows?: RowSlice;
}

/**
 * Turns canonical JSON into what the write path stores: plaintext hash and encrypted envelope,
 * optionally the search rows too. Pure CPU work with no shared state, so it can run on a worker
 * thread as well as inline (see WorkerPreparer).
 */
export interface RecordPreparer {
  prepare(items: PrepareItem[], keys: DataKey[], options: { extract: boolean }): Promise<Prepared[]>;
  close(): Promise<void>;
}

/** The work itself, shared by the inline preparer and the worker. */
export function prepareRecords(items: PrepareItem[], keys: DataKey[], options: { extract: boolean }): Prepared[] {
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  const packer = options.extract ? new RowPacker() : undefined;
  const results = items.map((item) => {
    const plaintext = new TextEncoder().encode(item.text);
    const key = byId.get(item.keyId);
    if (!key) throw new Error(`no data key ${item.keyId} given for ${item.type}/${item.id}`);
    const envelope = sealEnvelope({ plaintext, key, aad: { type: item.type, id: item.id, versionId: item.versionId } });
    const contentHash = toHex(sha256(plaintext));
    const prepared: Prepared = { envelope, contentHash };
    if (packer) prepared.rows = packer.add(extractSearchValues(JSON.parse(item.text) as { resourceType: string }));
    return prepared;
  });
  packer?.finish();
  return results;
}

/** Prepares on the calling thread; search rows are left to the index. */
export const inlinePreparer: RecordPreparer = {
  prepare: async (items, keys) => prepareRecords(items, keys, { extract: false }),
  close: async () => {},
};
