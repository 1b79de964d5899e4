import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { useTempIndexPath } from "./search/testSupport/testDb.ts";
import { SqliteIndex } from "./SqliteIndex.ts";

const indexPath = useTempIndexPath("fhirledger-core-migrate-");

/** The leaves table as it was when inclusion paths were one of its columns. */
const LEAVES_WITH_PATHS = `
CREATE TABLE leaves (seq INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, queued_at TEXT NOT NULL, batch_id INTEGER, leaf_index INTEGER, path BLOB);
CREATE INDEX leaves_pending ON leaves(batch_id, seq);`;

describe("migrateCoreTables", () => {
  it("moves inclusion paths out of leaves into leaf_paths, and proofs still read them", () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    old.exec(LEAVES_WITH_PATHS);
    const step = (n: number) => new Uint8Array(32).fill(n);
    old.prepare("INSERT INTO leaves (seq, leaf_hash, queued_at, batch_id, leaf_index, path) VALUES (1, ?, 't', NULL, NULL, NULL)").run(step(1));
    old.prepare("INSERT INTO leaves (seq, leaf_hash, queued_at, batch_id, leaf_index, path) VALUES (2, ?, 't', 1, 0, ?)").run(step(2), Buffer.concat([step(7), step(8)]));
    old.close();

    const index = new SqliteIndex({ path });
    try {
      const columns = (index.db.prepare("SELECT name FROM pragma_table_info('leaves')").all() as { name: string }[]).map((c) => c.name);
      expect(columns).not.toContain("path");
      expect(index.db.prepare("SELECT seq, hex(path) AS path FROM leaf_paths ORDER BY seq").all()).toEqual([
        { seq: 2, path: Buffer.concat([step(7), step(8)]).toString("hex").toUpperCase() },
      ]);
      expect(index.leafProof(1)?.leafHash).toEqual(step(1));
      expect(index.db.prepare("SELECT count(*) AS n FROM leaves").get()).toEqual({ n: 2 });
    } finally {
      index.close();
    }
    const again = new SqliteIndex({ path }); // nothing left to migrate
    try {
      expect(again.db.prepare("SELECT count(*) AS n FROM leaf_paths").get()).toEqual({ n: 1 });
    } finally {
      again.close();
    }
  });
});
