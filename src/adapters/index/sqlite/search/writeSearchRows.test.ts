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
    expect(runSearch(db, "Observation", weights)).toEqual({
      ids: expect.not.arrayContaining(["Observation/o1"]),
      total: before - 1,
    });
    expect(runSearch(db, "Observation", "code-value-quantity=29463-7$gt70").ids).not.toContain("Observation/o1");
  });
});

describe("sp_token_quantity", () => {
  const pair = extractSearchValues(fixtures.find((r) => r.id === "o1")!).filter((r) => r.kind === "token-quantity");
  const pairRows = (db: ReturnType<typeof createTestDb>, rid: number) =>
    (db.prepare("SELECT count(*) AS n FROM sp_token_quantity WHERE rid = ?").get(rid) as { n: number }).n;

  it("holds rows of live resources of their own type only (the pair count reads the index alone)", () => {
    const db = createTestDb(fixtures);
    const rid = ridOf(db, "Observation", "o1");
    expect(pair.length).toBeGreaterThan(0);
    expect(pairRows(db, rid)).toBe(pair.length);
    // (fresh: a refused write would otherwise have removed the rows it was to replace, as the
    // caller's transaction is not rolled back here)
    expect(() => writeSearchRows(db, rid, "Patient", pair, { fresh: true })).toThrow(/not live/); // another type
    expect(() => writeSearchRows(db, 999_999, "Observation", pair, { fresh: true })).toThrow(/not live/); // no such resource
    expect(() =>
      db.prepare("UPDATE sp_token_quantity SET rid = ? WHERE rid = ?").run(ridOf(db, "Observation", "o2"), rid),
    ).toThrow(/do not move/);
    db.prepare("UPDATE resources SET last_updated = '2027-01-01T00:00:00.000Z' WHERE rid = ?").run(rid);
    expect(pairRows(db, rid)).toBe(pair.length);
    // marked deleted: its pairs go at once (rows in other tables stay until the writer removes them)
    db.prepare("UPDATE resources SET deleted = 1 WHERE rid = ?").run(rid);
    expect(pairRows(db, rid)).toBe(0);
    expect(
      (db.prepare("SELECT count(*) AS n FROM sp_token WHERE rid = ?").get(rid) as { n: number }).n,
    ).toBeGreaterThan(0);
    expect(() => writeSearchRows(db, rid, "Observation", pair, { fresh: true })).toThrow(/not live/);
    // live again (an update after a delete): rows can be written again
    db.prepare("UPDATE resources SET deleted = 0 WHERE rid = ?").run(rid);
    writeSearchRows(db, rid, "Observation", pair);
    expect(pairRows(db, rid)).toBe(pair.length);
    // erased: the resources row goes, and its pairs with it
    db.prepare("DELETE FROM resources WHERE rid = ?").run(rid);
    expect(pairRows(db, rid)).toBe(0);
  });
});

describe("sqliteSearchIndexer", () => {
  it("plugs extraction and row writing into SqliteIndex's transaction", async () => {
    const { sqliteSearchIndexer } = await import("./sqliteSearchIndexer.ts");
    const db = createTestDb([]);
    db.exec(sqliteSearchIndexer.ddl); // idempotent
    const { rid } = db
      .prepare(
        "INSERT INTO resources (type, id, version, last_updated) VALUES ('Patient', 'x', 1, '2026-01-01T00:00:00.000Z') RETURNING rid",
      )
      .get() as { rid: number };
    sqliteSearchIndexer.write(db, rid, "Patient", { resourceType: "Patient", id: "x", name: [{ family: "Indexer" }] });
    expect(runSearch(db, "Patient", "name=index").ids).toEqual(["Patient/x"]);
    sqliteSearchIndexer.remove(db, rid);
    expect(runSearch(db, "Patient", "name=index").ids).toEqual([]);
  });
});
