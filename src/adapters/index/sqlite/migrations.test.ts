import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { schemaVersion } from "../../sqlite/migrate.ts";
import { INDEX_MIGRATIONS, RESOURCE_COMPARTMENTS_SQL } from "./migrations.ts";
import { coreSchemaSql } from "./schema.ts";
import { SEARCH_SCHEMA } from "./search/searchSchema.ts";
import { sqliteSearchIndexer } from "./search/sqliteSearchIndexer.ts";
import { runSearch, useTempIndexPath } from "./search/testSupport/testDb.ts";
import { SqliteIndex } from "./SqliteIndex.ts";
import { TEST_SEARCH_KEY } from "./search/testSupport/testSearchKey.ts";
import { UNNUMBERED_SEARCH_TABLES } from "./migrations/unnumberedSearchTables.ts";
import { writeClearRows } from "./search/testSupport/clearLayout.ts";
import { extractSearchValues } from "../../../fhir/search/extractSearchValues.ts";

const indexPath = useTempIndexPath("fhirledger-index-migrations-");
const LATEST = INDEX_MIGRATIONS.length;

/** Every table, index and trigger with its SQL, for comparing layouts. */
const layout = (db: DatabaseSync) =>
  db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();

const patient = (id: string, family: string, versionId = 1) => ({
  type: "Patient",
  id,
  versionId,
  lastUpdated: `2026-01-0${versionId}T00:00:00.000Z`,
  deleted: false,
  cid: `cid-${id}-${versionId}`,
  contentHash: `h-${id}-${versionId}`,
  keyId: null,
  compartment: `Patient/${id}`,
  leafHash: new Uint8Array(32).fill(versionId),
  expectedPreviousVersion: versionId - 1,
  resource: { resourceType: "Patient", id, name: [{ family }] },
});

describe("INDEX_MIGRATIONS", () => {
  it("gives a new file the layout schema.ts and searchSchema.ts describe, at the last version", async () => {
    const path = indexPath();
    new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer }).close();
    const db = new DatabaseSync(path);
    const described = new DatabaseSync(":memory:");
    described.exec(coreSchemaSql);
    described.exec(SEARCH_SCHEMA);
    described.exec(RESOURCE_COMPARTMENTS_SQL); // step 7
    try {
      expect(schemaVersion(db)).toBe(LATEST);
      expect(layout(db)).toEqual(layout(described));
    } finally {
      db.close();
      described.close();
    }
  });

  it("recognises an index of the previous layout (no user_version) and migrates it, keeping every record", async () => {
    // What the server created before schema versions were numbered: the same tables, user_version 0.
    const path = indexPath();
    const before = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    before.commit(patient("a", "Chalmers"));
    before.commit(patient("a", "Chalmers-Windsor", 2));
    before.commit(patient("b", "Levin"));
    before.close();
    const old = new DatabaseSync(path);
    const oldLayout = layout(old);
    // Its search tables held values in clear (the layout before step 8 sealed them).
    for (const { name } of old
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sp_%'")
      .all() as { name: string }[])
      old.exec(`DROP TABLE ${name}`);
    old.exec("DROP TRIGGER resources_gone_pairs; DROP TRIGGER resources_removed_pairs;");
    old.exec(UNNUMBERED_SEARCH_TABLES);
    const rids = old.prepare("SELECT rid, id FROM resources").all() as { rid: number; id: string }[];
    const current = { a: patient("a", "Chalmers-Windsor", 2), b: patient("b", "Levin") };
    for (const { rid, id } of rids)
      writeClearRows(old, rid, "Patient", extractSearchValues(current[id as "a" | "b"].resource));
    old.exec("PRAGMA user_version = 0");
    old.close();

    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(schemaVersion(index.db)).toBe(LATEST);
      expect(layout(index.db)).toEqual(oldLayout);
      expect((await index.current("Patient", "a"))?.versionId).toBe(2);
      expect((await index.version("Patient", "a", 1))?.cid).toBe("cid-a-1");
      expect((await index.pendingLeaves(10)).map((l) => l.seq)).toEqual([1, 2, 3]);
      expect(runSearch(index.db, "Patient", "family=chalmers-windsor").ids).toEqual(["Patient/a"]);
      await index.commit(patient("c", "Levin"));
      expect(runSearch(index.db, "Patient", "family=levin").ids).toEqual(["Patient/b", "Patient/c"]);
    } finally {
      index.close();
    }
  });

  it("takes a file from any recorded step to the last (a release that stopped half-way)", async () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    for (const step of INDEX_MIGRATIONS.slice(0, 3)) step.up(old);
    old.exec("PRAGMA user_version = 3");
    old.close();
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(schemaVersion(index.db)).toBe(LATEST);
      await index.commit(patient("a", "Chalmers"));
      expect(runSearch(index.db, "Patient", "family=chalmers").ids).toEqual(["Patient/a"]);
    } finally {
      index.close();
    }
  });

  it("takes a file of layout 6 to 7: a resource's compartments are kept from then on, and erasure follows them", async () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    for (const step of INDEX_MIGRATIONS.slice(0, 6)) step.up(old);
    old.exec("PRAGMA user_version = 6");
    old.close();
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(schemaVersion(index.db)).toBe(LATEST);
      await index.commit({
        ...patient("o", "x"),
        type: "Basic",
        compartment: "Patient/q",
        compartments: ["Patient/q", "Patient/p"],
      });
      expect((await index.eraseCompartment("Patient/p")).resources).toEqual([{ type: "Basic", id: "o" }]);
    } finally {
      index.close();
    }
  });

  it("refuses an index written by a later release, with a message naming the file and both versions", async () => {
    const path = indexPath();
    new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer }).close();
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${LATEST + 1}`);
    newer.close();
    expect(() => new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer })).toThrow(
      `index ${path} has schema version ${LATEST + 1}, newer than this fhirledger knows (${LATEST})`,
    );
    const after = new DatabaseSync(path);
    expect(schemaVersion(after)).toBe(LATEST + 1);
    after.close();
  });

  it("records the version on the older layouts the unnumbered-file steps convert", async () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    old.exec(
      "CREATE TABLE leaves (seq INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, queued_at TEXT NOT NULL, batch_id INTEGER, leaf_index INTEGER, path BLOB)",
    );
    old.close();
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path });
    try {
      expect(schemaVersion(index.db)).toBe(LATEST);
    } finally {
      index.close();
    }
  });
});
