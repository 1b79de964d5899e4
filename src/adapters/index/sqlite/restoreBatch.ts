import type { DatabaseSync } from "node:sqlite";
import type { RestoreBatch } from "../../../ports/RebuildTarget.ts";
import type { SearchIndexer } from "./SqliteIndex.ts";
import { prepared } from "./prepared.ts";

/**
 * Rebuild: writes one anchored batch, its leaves (with paths) and the versions they carry, and
 * the search rows of versions that become current. Runs inside the caller's transaction.
 * `ownBase`: the server's base URL, whose references are indexed as local (see SearchIndexer).
 */
export function restoreBatch(
  db: DatabaseSync,
  search: SearchIndexer | null,
  { batch, leaves, paths }: RestoreBatch,
  ownBase = "",
): void {
  const now = new Date().toISOString();
  const res = prepared(
    db,
    `INSERT INTO batches (root, prev_root, size, first_seq, last_seq, manifest_cid, manifest_digest, state, chain_id, contract, tx_hash, block_number, anchored_at)
     VALUES (?, ?, ?, 0, 0, ?, ?, 'anchored', ?, ?, ?, ?, ?)`,
  ).run(
    batch.root,
    batch.prevRoot,
    batch.size,
    batch.manifestCid,
    batch.manifestDigest,
    batch.chainId,
    batch.contract,
    batch.txHash,
    batch.blockNumber,
    now,
  );
  const batchId = Number(res.lastInsertRowid);
  const seqs: number[] = [];
  leaves.forEach((leaf, i) => {
    const l = prepared(db, "INSERT INTO leaves (leaf_hash, queued_at, batch_id, leaf_index) VALUES (?, ?, ?, ?)").run(
      leaf.leafHash,
      leaf.version?.lastUpdated ?? now,
      batchId,
      i,
    );
    const seq = Number(l.lastInsertRowid);
    prepared(db, "INSERT INTO leaf_paths (seq, path) VALUES (?, ?)").run(seq, Buffer.concat(paths[i] ?? []));
    seqs.push(seq);
    const v = leaf.version;
    if (!v) return;
    const cur = prepared(db, "SELECT rid, version AS versionId FROM resources WHERE type = ? AND id = ?").get(
      v.type,
      v.id,
    ) as { rid: number; versionId: number } | undefined;
    let rid: number;
    const isNewest = !cur || v.versionId > cur.versionId;
    if (!cur) {
      rid = Number(
        prepared(
          db,
          "INSERT INTO resources (type, id, version, deleted, last_updated, compartment) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(v.type, v.id, v.versionId, v.deleted ? 1 : 0, v.lastUpdated, v.compartment).lastInsertRowid,
      );
    } else {
      rid = cur.rid;
      if (isNewest) {
        prepared(
          db,
          "UPDATE resources SET version = ?, deleted = ?, last_updated = ?, compartment = ? WHERE rid = ?",
        ).run(v.versionId, v.deleted ? 1 : 0, v.lastUpdated, v.compartment, rid);
      }
    }
    prepared(
      db,
      "INSERT INTO versions (rid, version, last_updated, deleted, cid, content_hash, key_id, compartment, leaf_seq, created_by_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      rid,
      v.versionId,
      v.lastUpdated,
      v.deleted ? 1 : 0,
      v.cid,
      v.contentHash,
      v.keyId,
      v.compartment,
      seq,
      v.createdByUpdate ? 1 : null,
    );
    for (const c of v.compartments ?? [])
      prepared(db, "INSERT OR IGNORE INTO resource_compartments (compartment, rid) VALUES (?, ?)").run(c, rid);
    if (search && isNewest) {
      if (v.deleted || !v.resource) search.remove(db, rid);
      else search.write(db, rid, v.type, v.resource, !cur, undefined, ownBase);
    }
  });
  prepared(db, "UPDATE batches SET first_seq = ?, last_seq = ? WHERE batch_id = ?").run(
    seqs[0] ?? 0,
    seqs.at(-1) ?? 0,
    batchId,
  );
}
