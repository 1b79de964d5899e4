import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { extractSearchValues, type SearchRow } from "../../../../fhir/search/extractSearchValues.ts";
import { coreSchemaSql } from "../schema.ts";
import { SqliteIndex } from "../SqliteIndex.ts";
import { SEARCH_TABLES } from "./searchSchema.ts";
import { sqliteSearchIndexer } from "./sqliteSearchIndexer.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { ROWID_LAYOUT_DDL } from "./testSupport/rowidLayout.ts";
import { runSearch, useTempIndexPath } from "./testSupport/testDb.ts";

/** The row of the earlier layout: same columns, no seq. */
function oldInsert(db: DatabaseSync, rid: number, type: string, r: SearchRow): void {
  const values: Record<SearchRow["kind"], [string, unknown[]]> = {
    string: ["value_norm, value", r.kind === "string" ? [r.norm, r.value] : []],
    token: ["system, code, text", r.kind === "token" ? [r.system, r.code, r.text] : []],
    date: ["lo, hi", r.kind === "date" ? [r.lo, r.hi] : []],
    number: ["value", r.kind === "number" ? [r.value] : []],
    quantity: ["value, system, code, unit, norm_value, norm_unit", r.kind === "quantity" ? [r.value, r.system, r.code, r.unit, r.normValue, r.normUnit] : []],
    reference: ["target_type, target_id, url", r.kind === "reference" ? [r.targetType, r.targetId, r.url] : []],
    uri: ["value", r.kind === "uri" ? [r.value] : []],
  };
  const [columns, args] = values[r.kind];
  db.prepare(`INSERT INTO sp_${r.kind} (rid, type, param, grp, ${columns}) VALUES (?, ?, ?, ?, ${args.map(() => "?").join(", ")})`)
    .run(rid, type, r.param, r.grp, ...(args as never[]));
}

const indexPath = useTempIndexPath("fhirledger-migrate-");

describe("migrateSearchTables", () => {
  it("moves rowid search tables to the clustered layout, keeping every row and every search", () => {
    const path = indexPath();
    const old = new DatabaseSync(path);
    old.exec(coreSchemaSql);
    old.exec(ROWID_LAYOUT_DDL);
    const insert = old.prepare("INSERT INTO resources (type, id, version, last_updated) VALUES (?, ?, 1, '2026-01-01T00:00:00.000Z') RETURNING rid");
    for (const r of fixtures) {
      const { rid } = insert.get(r.resourceType, r.id) as { rid: number };
      for (const row of extractSearchValues(r)) oldInsert(old, rid, r.resourceType, row);
    }
    const counts = Object.fromEntries(SEARCH_TABLES.map((t) => [t, (old.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
    expect(counts.sp_token).toBeGreaterThan(0);
    old.close();

    const index = new SqliteIndex({ path, search: sqliteSearchIndexer });
    try {
      for (const t of SEARCH_TABLES) {
        expect((index.db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(t) as { sql: string }).sql, t).toMatch(/WITHOUT ROWID/);
        expect((index.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(counts[t]);
      }
      const indexes = (index.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'sp_%'").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toContain("sp_token_code");
      expect(indexes.filter((n) => n.endsWith("_rid"))).toEqual([]);
      expect(runSearch(index.db, "Patient", "family=chalmers").ids).toEqual(["Patient/p1", "Patient/p3"]);
      expect(runSearch(index.db, "Observation", "code=85354-9").ids.length).toBeGreaterThan(0);
    } finally {
      index.close();
    }
    // Opening again finds nothing to migrate and loses nothing.
    const again = new SqliteIndex({ path, search: sqliteSearchIndexer });
    try {
      expect((again.db.prepare("SELECT count(*) AS n FROM sp_token").get() as { n: number }).n).toBe(counts.sp_token);
    } finally {
      again.close();
    }
  });
});
