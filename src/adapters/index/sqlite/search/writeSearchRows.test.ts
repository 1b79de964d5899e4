import { describe, expect, it } from "vitest";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { fixtures } from "./testSupport/fixtures.ts";
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
    deleteSearchRows(db, rid);
    for (const t of ["sp_string", "sp_token", "sp_date", "sp_number", "sp_quantity", "sp_reference", "sp_uri"]) {
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
