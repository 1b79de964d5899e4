import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { useTempIndexPath } from "./search/testSupport/testDb.ts";
import { SqliteIndex } from "./SqliteIndex.ts";
import { TEST_SEARCH_KEY } from "./search/testSupport/testSearchKey.ts";

const indexPath = useTempIndexPath("fhirledger-core-migrate-");

/** The leaves table as it was when inclusion paths were one of its columns. */
const LEAVES_WITH_PATHS = `
CREATE TABLE leaves (seq INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, queued_at TEXT NOT NULL, batch_id INTEGER, leaf_index INTEGER, path BLOB);
CREATE INDEX leaves_pending ON leaves(batch_id, seq);`;

describe("INDEX_MIGRATIONS step 2 (unnumbered files): inclusion paths", () => {
  it("moves inclusion paths out of leaves into leaf_paths, and proofs still read them", async () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    old.exec(LEAVES_WITH_PATHS);
    const step = (n: number) => new Uint8Array(32).fill(n);
    old
      .prepare(
        "INSERT INTO leaves (seq, leaf_hash, queued_at, batch_id, leaf_index, path) VALUES (1, ?, 't', NULL, NULL, NULL)",
      )
      .run(step(1));
    old
      .prepare("INSERT INTO leaves (seq, leaf_hash, queued_at, batch_id, leaf_index, path) VALUES (2, ?, 't', 1, 0, ?)")
      .run(step(2), Buffer.concat([step(7), step(8)]));
    old.close();

    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path });
    try {
      const columns = (
        index.db.prepare("SELECT name FROM pragma_table_info('leaves')").all() as { name: string }[]
      ).map((c) => c.name);
      expect(columns).not.toContain("path");
      expect(index.db.prepare("SELECT seq, hex(path) AS path FROM leaf_paths ORDER BY seq").all()).toEqual([
        {
          seq: 2,
          path: Buffer.concat([step(7), step(8)])
            .toString("hex")
            .toUpperCase(),
        },
      ]);
      expect((await index.leafProof(1))?.leafHash).toEqual(step(1));
      expect(index.db.prepare("SELECT count(*) AS n FROM leaves").get()).toEqual({ n: 2 });
    } finally {
      index.close();
    }
    const again = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path }); // nothing left to migrate
    try {
      expect(again.db.prepare("SELECT count(*) AS n FROM leaf_paths").get()).toEqual({ n: 1 });
    } finally {
      again.close();
    }
  });
});

/** The versions table as it was before it recorded creates by update. */
const VERSIONS_WITHOUT_CREATED_BY_UPDATE = `
CREATE TABLE versions (rid INTEGER NOT NULL, version INTEGER NOT NULL, last_updated TEXT NOT NULL, deleted INTEGER NOT NULL, cid TEXT,
  content_hash TEXT NOT NULL, key_id TEXT, compartment TEXT, leaf_seq INTEGER NOT NULL UNIQUE, PRIMARY KEY (rid, version)) WITHOUT ROWID;`;

describe("INDEX_MIGRATIONS step 3 (unnumbered files): versions.created_by_update", () => {
  it("adds the column to an older index; its versions read as before (no createdByUpdate), new ones keep it", async () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    old.exec(VERSIONS_WITHOUT_CREATED_BY_UPDATE);
    old.exec(
      "CREATE TABLE resources (rid INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, last_updated TEXT NOT NULL, compartment TEXT, UNIQUE(type, id))",
    );
    old.exec(
      "CREATE TABLE leaves (seq INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, queued_at TEXT NOT NULL, batch_id INTEGER, leaf_index INTEGER)",
    );
    old.exec(
      "INSERT INTO resources (rid, type, id, version, last_updated) VALUES (1, 'Patient', 'p', 1, '2024-01-01T00:00:00.000Z')",
    );
    old.prepare("INSERT INTO leaves (seq, leaf_hash, queued_at) VALUES (1, ?, 't')").run(new Uint8Array(32));
    old.exec("INSERT INTO versions VALUES (1, 1, '2024-01-01T00:00:00.000Z', 0, 'cid', 'h', NULL, NULL, 1)");
    old.close();

    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path });
    try {
      const columns = (
        index.db.prepare("SELECT name FROM pragma_table_info('versions')").all() as { name: string }[]
      ).map((c) => c.name);
      expect(columns).toContain("created_by_update");
      expect((await index.version("Patient", "p", 1))?.createdByUpdate).toBeUndefined();
      expect((await index.historyPage({ count: 10 })).versions.map((v) => [v.id, v.createdByUpdate])).toEqual([
        ["p", undefined],
      ]);
      await index.commit({
        type: "Patient",
        id: "q",
        versionId: 1,
        lastUpdated: "2024-01-02T00:00:00.000Z",
        deleted: false,
        cid: "cid2",
        contentHash: "h2",
        keyId: null,
        compartment: null,
        leafHash: new Uint8Array(32),
        expectedPreviousVersion: 0,
        createdByUpdate: true,
      });
      expect((await index.version("Patient", "q", 1))?.createdByUpdate).toBe(true);
      expect((await index.pendingLeaves(10)).map((l) => l.version?.createdByUpdate)).toEqual([undefined, true]);
    } finally {
      index.close();
    }
  });
});
