import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { extractSearchValues, type SearchRow } from "../../../../fhir/search/extractSearchValues.ts";
import { coreSchemaSql } from "../schema.ts";
import { SqliteIndex } from "../SqliteIndex.ts";
import { SEARCH_TABLES } from "./searchSchema.ts";
import { sqliteSearchIndexer } from "./sqliteSearchIndexer.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { ROWID_LAYOUT_DDL } from "./testSupport/rowidLayout.ts";
import { componentLayoutRows } from "./testSupport/componentLayout.ts";
import { createTestDb, runSearch, useTempIndexPath } from "./testSupport/testDb.ts";
import { TEST_SEARCH_KEY } from "./testSupport/testSearchKey.ts";
import { UNNUMBERED_SEARCH_TABLES } from "../migrations/unnumberedSearchTables.ts";
import { writeClearRows } from "./testSupport/clearLayout.ts";
import { readFileSync } from "node:fs";
import { INDEX_MIGRATIONS } from "../migrations.ts";

const tableCounts = (db: DatabaseSync) =>
  Object.fromEntries(
    SEARCH_TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );

/** Every row of the search tables, in key order, for comparing two indexes of the same resources. */
const allRows = (db: DatabaseSync) =>
  Object.fromEntries(SEARCH_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rid, param, seq`).all()]));

/** The row of the rowid layout: same columns, no seq (token×quantity composites as component rows). */
function oldInsert(
  db: DatabaseSync,
  rid: number,
  type: string,
  r: Exclude<SearchRow, { kind: "token-quantity" }>,
): void {
  const values: Record<typeof r.kind, [string, unknown[]]> = {
    string: ["value_norm, value", r.kind === "string" ? [r.norm, r.value] : []],
    token: ["system, code, text", r.kind === "token" ? [r.system, r.code, r.text] : []],
    date: ["lo, hi", r.kind === "date" ? [r.lo, r.hi] : []],
    number: ["value", r.kind === "number" ? [r.value] : []],
    quantity: [
      "value, system, code, unit, norm_value, norm_unit",
      r.kind === "quantity" ? [r.value, r.system, r.code, r.unit, r.normValue, r.normUnit] : [],
    ],
    reference: ["target_type, target_id, url", r.kind === "reference" ? [r.targetType, r.targetId, r.url] : []],
    uri: ["value", r.kind === "uri" ? [r.value] : []],
  };
  const [columns, args] = values[r.kind];
  db.prepare(
    `INSERT INTO sp_${r.kind} (rid, type, param, grp, ${columns}) VALUES (?, ?, ?, ?, ${args.map(() => "?").join(", ")})`,
  ).run(rid, type, r.param, r.grp, ...(args as never[]));
}

const indexPath = useTempIndexPath("fhirledger-migrate-");

type Resource = (typeof fixtures)[number];

/** An index file of an earlier layout, left open: the core tables, `ddl`, and each resource's rows as `write` stores them. */
function oldIndex(
  ddl: string,
  resources: readonly Resource[],
  write: (db: DatabaseSync, rid: number, r: Resource) => void,
): { path: string; old: DatabaseSync } {
  const path = indexPath();
  const old = new DatabaseSync(path);
  old.exec(coreSchemaSql);
  old.exec(ddl);
  const insert = old.prepare(
    "INSERT INTO resources (type, id, version, last_updated) VALUES (?, ?, 1, '2026-01-01T00:00:00.000Z') RETURNING rid",
  );
  for (const r of resources) write(old, (insert.get(r.resourceType, r.id) as { rid: number }).rid, r);
  return { path, old };
}

/** Writes a resource's rows as the layout before sp_token_quantity did (component rows). */
function componentRows(db: DatabaseSync, rid: number, r: Resource): void {
  writeClearRows(db, rid, r.resourceType, componentLayoutRows(extractSearchValues(r)));
}

describe("migrateSearchTables", () => {
  it("moves rowid search tables to the clustered layout, keeping every row and every search", () => {
    const { path, old } = oldIndex(ROWID_LAYOUT_DDL, fixtures, (db, rid, r) => {
      for (const row of componentLayoutRows(extractSearchValues(r)))
        oldInsert(db, rid, r.resourceType, row as Exclude<SearchRow, { kind: "token-quantity" }>);
    });
    old.close();
    const counts = tableCounts(createTestDb(fixtures));
    expect(counts.sp_token).toBeGreaterThan(0);
    expect(counts.sp_token_quantity).toBeGreaterThan(0);

    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      for (const t of SEARCH_TABLES) {
        expect(
          (index.db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(t) as { sql: string }).sql,
          t,
        ).toMatch(/WITHOUT ROWID/);
      }
      // the same number of rows as a fresh index of the same resources
      expect(tableCounts(index.db)).toEqual(counts);
      const indexes = (
        index.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'sp_%'").all() as {
          name: string;
        }[]
      ).map((r) => r.name);
      expect(indexes).toContain("sp_token_code");
      expect(indexes.filter((n) => n.endsWith("_rid"))).toEqual([]);
      expect(runSearch(index.db, "Patient", "family=chalmers").ids).toEqual(["Patient/p1", "Patient/p3"]);
      expect(runSearch(index.db, "Observation", "code=85354-9").ids.length).toBeGreaterThan(0);
    } finally {
      index.close();
    }
    // Opening again finds nothing to migrate and loses nothing.
    const again = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect((again.db.prepare("SELECT count(*) AS n FROM sp_token").get() as { n: number }).n).toBe(counts.sp_token);
    } finally {
      again.close();
    }
  });
});

/** Back to the layout before sp_token_quantity: no table, no triggers. */
function dropPairs(db: DatabaseSync): void {
  db.exec("DROP TABLE sp_token_quantity; DROP TRIGGER resources_gone_pairs; DROP TRIGGER resources_removed_pairs;");
  expect(db.prepare("SELECT name FROM sqlite_master WHERE sql LIKE '%sp_token_quantity%'").all()).toEqual([]);
}

describe("migrateSearchTables: token×quantity composites", () => {
  /** The resources of `fixtures` plus Observations with several codings, values and components. */
  const resources = [
    ...fixtures,
    {
      resourceType: "Observation",
      id: "hr",
      status: "final",
      code: {
        coding: [
          { system: "http://loinc.org", code: "8867-4" },
          { system: "urn:local", code: "HR" },
        ],
      },
      valueQuantity: { value: 104, unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
    },
    {
      resourceType: "Observation",
      id: "bp",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] },
      component: [
        {
          code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] },
          valueQuantity: { value: 141, system: "http://unitsofmeasure.org", code: "mm[Hg]" },
        },
        { code: { text: "no coding" }, valueQuantity: { value: 99 } },
        {
          code: { coding: [{ system: "http://loinc.org", code: "8462-4" }] },
          valueQuantity: { value: 91, system: "http://unitsofmeasure.org", code: "mm[Hg]" },
        },
      ],
    },
  ] as typeof fixtures;

  it("turns component rows into the pair rows a fresh index holds, in one step on open", () => {
    // an index of the previous layout: clustered tables, component rows, no sp_token_quantity
    const { path, old } = oldIndex(UNNUMBERED_SEARCH_TABLES, resources, componentRows);
    dropPairs(old);
    expect(
      (old.prepare("SELECT count(*) AS n FROM sp_token WHERE param = 'code-value-quantity$0'").get() as { n: number })
        .n,
    ).toBeGreaterThan(0);
    old.close();

    const fresh = createTestDb(resources);
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(allRows(index.db)).toEqual(allRows(fresh));
      const left = index.db
        .prepare("SELECT count(*) AS n FROM sp_token WHERE param LIKE '%value-quantity$%'")
        .get() as { n: number };
      expect(left.n).toBe(0);
      for (const query of [
        "code-value-quantity=http://loinc.org|8867-4$gt100",
        "component-code-value-quantity=8480-6$gt140",
        "combo-code-value-quantity=8462-4$91",
      ]) {
        expect(runSearch(index.db, "Observation", query), query).toEqual(runSearch(fresh, "Observation", query));
      }
      expect(runSearch(index.db, "Observation", "code-value-quantity=urn:local|HR$104").ids).toEqual([
        "Observation/hr",
      ]);
    } finally {
      index.close();
    }
    // Opening again finds nothing to migrate and loses nothing.
    const again = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(allRows(again.db)).toEqual(allRows(fresh));
    } finally {
      again.close();
    }
  });

  it("leaves out the pairs of resources marked deleted whose rows remained", () => {
    const { path, old } = oldIndex(
      UNNUMBERED_SEARCH_TABLES,
      resources.filter((x) => x.id === "hr" || x.id === "o1"),
      componentRows,
    );
    dropPairs(old);
    old.exec("UPDATE resources SET deleted = 1 WHERE id = 'hr'");
    old.close();
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      const ids = index.db
        .prepare("SELECT DISTINCT r.id FROM sp_token_quantity p JOIN resources r ON r.rid = p.rid")
        .all() as { id: string }[];
      expect(ids).toEqual([{ id: "o1" }]);
    } finally {
      index.close();
    }
  });
});

describe("layout 8: search values sealed and blinded", () => {
  /** A layout-7 file: clear rows of `fixtures`, and a transaction receipt with its kept response. */
  function clearIndex(): string {
    const { path, old } = oldIndex(UNNUMBERED_SEARCH_TABLES, fixtures, (db, rid, r) =>
      writeClearRows(db, rid, r.resourceType, extractSearchValues(r)),
    );
    for (const step of INDEX_MIGRATIONS.slice(0, 7)) step.up(old);
    old.exec("PRAGMA user_version = 7");
    old
      .prepare("INSERT INTO transaction_receipts (key, request_hash, committed_at, response) VALUES (?, ?, ?, ?)")
      .run("idem-Chalmers-1", "h", "2026-01-01T00:00:00.000Z", Buffer.from('[{"location":"Patient/Chalmers"}]'));
    old.close();
    return path;
  }
  /** Values of the fixtures a search matches on, in clear and normalised. */
  const CLEAR = [
    "Chalmers",
    "chalmers",
    "Müller",
    "o'brien",
    "MRN-001",
    "123-45-6789",
    "idem-Chalmers-1",
    "Patient/Chalmers",
  ];
  const clearIn = (path: string) =>
    [path, `${path}-wal`].flatMap((file) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        return [];
      }
      return CLEAR.filter((v) => bytes.includes(Buffer.from(v)));
    });

  it("takes a layout-7 file to the rows a fresh index holds, leaving no clear value in the file", async () => {
    const path = clearIndex();
    expect(clearIn(path).length).toBeGreaterThan(0);
    const fresh = createTestDb(fixtures);
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer });
    try {
      expect(allRows(index.db)).toEqual(allRows(fresh));
      expect(clearIn(path)).toEqual([]);
      for (const query of [
        "family=chal",
        "family=chalmers",
        "name:exact=Chalmers",
        "name:contains=ALM",
        "given=zo",
        "birthdate=1974",
        "birthdate=ge1980&_sort=-birthdate",
        "_sort=family",
        "identifier=urn:mrn|MRN-001",
        "identifier:text=medical",
      ]) {
        const got = runSearch(index.db, "Patient", query);
        expect(got, query).toEqual(runSearch(fresh, "Patient", query));
      }
      expect(runSearch(index.db, "Patient", "family=chalmers").ids.length).toBeGreaterThan(0);
      const receipt = await index.transactionReceipt("idem-Chalmers-1");
      expect(Buffer.from(receipt!.response!).toString()).toBe('[{"location":"Patient/Chalmers"}]');
    } finally {
      index.close();
    }
    expect(clearIn(path)).toEqual([]);
  });

  it("opens nothing under another key: an index copied elsewhere gives no value back", () => {
    const path = clearIndex();
    new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path, search: sqliteSearchIndexer }).close();
    const stolen = new SqliteIndex({ searchKey: new Uint8Array(32).fill(9), path, search: sqliteSearchIndexer });
    try {
      expect(runSearch(stolen.db, "Patient", "family=chalmers").ids).toEqual([]);
      expect(() => runSearch(stolen.db, "Patient", "name:contains=alm")).toThrow("does not open");
    } finally {
      stolen.close();
    }
  });
});
