import { describe, expect, it } from "vitest";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { SEARCH_TABLES } from "./searchSchema.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";
import { deleteSearchRows, writeSearchRows } from "./writeSearchRows.ts";

const ridOf = (db: ReturnType<typeof createTestDb>, type: string, id: string) =>
  (db.prepare("SELECT rid FROM resources WHERE type = ? AND id = ?").get(type, id) as { rid: number }).rid;

describe("writeSearchRows", () => {
  it("replaces a resource's rows on update", () => {
    const db = createTestDb(fixtures);
    expect(runSearch(db, "Patient", "family=chalmers").ids).toEqual(["Patient/p1", "Patient/p3"]);
    const updated = { ...fixtures.find((r) => r.id === "p1")!, name: [{ family: "Renamed" }] };
    writeSearchRows(db, ridOf(db, "Patient", "p1"), "Patient", extractSearchValues(updated));
    expect(runSearch(db, "Patient", "family=chalmers").ids).toEqual(["Patient/p3"]);
    expect(runSearch(db, "Patient", "family=renamed").ids).toEqual(["Patient/p1"]);
    expect(runSearch(db, "Patient", "gender=male").ids).toEqual(["Patient/p1"]);
  });

  it("removes every row on delete", () => {
    const db = createTestDb(fixtures);
    const rid = ridOf(db, "Observation", "o3");
    expect(db.prepare("SELECT count(*) AS n FROM sp_token_quantity WHERE rid = ?").get(rid)).toEqual({ n: 4 }); // component- and combo-code-value-quantity
    deleteSearchRows(db, rid);
    for (const t of SEARCH_TABLES) {
      expect(db.prepare(`SELECT count(*) AS n FROM ${t} WHERE rid = ?`).get(rid)).toEqual({ n: 0 });
    }
    expect(runSearch(db, "Observation", "code=85354-9").ids).toEqual([]);
  });

  it("hides resources marked deleted even if rows remain", () => {
    const db = createTestDb(fixtures);
    db.prepare("UPDATE resources SET deleted = 1 WHERE type = 'Patient' AND id = 'p1'").run();
    expect(runSearch(db, "Patient", "family=chalmers").ids).toEqual(["Patient/p3"]);
    expect(runSearch(db, "Observation", "subject.family=chalmers").ids).toEqual(["Observation/o4"]);
    expect(runSearch(db, "Patient", "_has:Observation:subject:code=29463-7").ids).toEqual(["Patient/p4"]);
    // code + value-quantity counts from the pair index, but still only live resources
    const weights = "code=29463-7&value-quantity=gt70";
    expect(runSearch(db, "Observation", weights).ids).toContain("Observation/o1");
    const before = runSearch(db, "Observation", weights).total;
    db.prepare("UPDATE resources SET deleted = 1 WHERE type = 'Observation' AND id = 'o1'").run();
    expect(runSearch(db, "Observation", weights)).toEqual({ ids: expect.not.arrayContaining(["Observation/o1"]), total: before - 1 });
    expect(runSearch(db, "Observation", "code-value-quantity=29463-7$gt70").ids).not.toContain("Observation/o1");
  });
});

describe("sqliteSearchIndexer", () => {
  it("plugs extraction and row writing into SqliteIndex's transaction", async () => {
    const { sqliteSearchIndexer } = await import("./sqliteSearchIndexer.ts");
    const db = createTestDb([]);
    db.exec(sqliteSearchIndexer.ddl); // idempotent
    const { rid } = db.prepare("INSERT INTO resources (type, id, version, last_updated) VALUES ('Patient', 'x', 1, '2026-01-01T00:00:00.000Z') RETURNING rid").get() as { rid: number };
    sqliteSearchIndexer.write(db, rid, "Patient", { resourceType: "Patient", id: "x", name: [{ family: "Indexer" }] });
    expect(runSearch(db, "Patient", "name=index").ids).toEqual(["Patient/x"]);
    sqliteSearchIndexer.remove(db, rid);
    expect(runSearch(db, "Patient", "name=index").ids).toEqual([]);
  });
});
