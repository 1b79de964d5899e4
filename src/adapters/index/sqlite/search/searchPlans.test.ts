import { describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { compileSearch } from "./compileSearch.ts";
import { SEARCH_SCHEMA } from "./searchSchema.ts";
import { RESOURCES_DDL } from "./testSupport/testDb.ts";
import { writeSearchRows } from "./writeSearchRows.ts";
import { registerSearchFunctions, SearchKey } from "./searchKey.ts";
import { TEST_SEARCH_KEY } from "./testSupport/testSearchKey.ts";

/** 200 patients with 20 vital-sign Observations each, enough for the planner to prefer indexes. */
function syntheticDb(analyze = true): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  registerSearchFunctions(db, new SearchKey(TEST_SEARCH_KEY));
  db.exec(RESOURCES_DDL);
  db.exec(SEARCH_SCHEMA);
  const insert = db.prepare(
    "INSERT INTO resources (type, id, version, last_updated) VALUES (?, ?, 1, '2026-01-01T00:00:00.000Z') RETURNING rid",
  );
  const codes = ["8302-2", "29463-7", "8867-4", "9279-1", "85354-9"];
  db.exec("BEGIN");
  for (let p = 0; p < 200; p++) {
    const patient = {
      resourceType: "Patient",
      id: `p${p}`,
      gender: p % 2 ? "male" : "female",
      name: [{ family: `Fam${p}` }],
    };
    const { rid } = insert.get("Patient", patient.id) as { rid: number };
    writeSearchRows(db, rid, "Patient", extractSearchValues(patient), { fresh: true });
    for (let o = 0; o < 20; o++) {
      const obs = {
        resourceType: "Observation",
        id: `o${p}-${o}`,
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: codes[o % codes.length] }] },
        subject: { reference: `Patient/p${p}` },
        effectiveDateTime: `${2000 + o}-06-01T10:00:00Z`,
        valueQuantity: { value: 50 + ((p * 7 + o * 13) % 150), system: "http://unitsofmeasure.org", code: "kg" },
      };
      const r = insert.get("Observation", obs.id) as { rid: number };
      writeSearchRows(db, r.rid, "Observation", extractSearchValues(obs), { fresh: true });
    }
  }
  db.exec("COMMIT");
  if (analyze) db.exec("ANALYZE");
  return db;
}

describe("query plans", () => {
  const db = syntheticDb();
  it.each([
    "patient=Patient/p7&code=http://loinc.org|8302-2",
    "patient=p7&date=ge2005&date=lt2010",
    "code=http://loinc.org|8302-2&value-quantity=gt190",
    "subject:Patient.family=fam1&code=29463-7",
    "code=8302-2&_sort=-date&_count=10",
  ])("Observation?%s reads through indexes, never a full table scan", (query) => {
    const c = compileSearch(parseSearchRequest("Observation", new URLSearchParams(query)));
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...c.args) as { detail: string }[]).map(
      (r) => r.detail,
    );
    expect(plan.filter((d) => /^SCAN /.test(d))).toEqual([]);
    expect(db.prepare(c.sql).all(...c.args).length).toBeGreaterThan(0);
  });

  // The server never runs ANALYZE while it loads data: without statistics SQLite used to walk
  // every resource of the type through resources_type_updated and test each against the
  // driving list, so a patient's search grew with the whole table (4x slower at 4x the data).
  it.each([true, false])(
    "a driving IN-list is walked by rowid, not by scanning the type (statistics: %s)",
    (analyze) => {
      const plain = syntheticDb(analyze);
      for (const query of [
        "patient=Patient/p7&code=http://loinc.org|8302-2",
        "patient=p7&date=ge2005&date=lt2010",
        "code=http://loinc.org|8302-2&value-quantity=gt190",
        "code=http://loinc.org|8302-2&value-quantity=gt190&status=final",
        "subject:Patient.family=fam1&code=29463-7",
      ]) {
        const c = compileSearch(parseSearchRequest("Observation", new URLSearchParams(query)));
        // (code + value-quantity alone is counted from its index, without `resources`: see below)
        const counts = c.countSql.startsWith("SELECT count(DISTINCT") ? [] : [[c.countSql, c.countArgs] as const];
        for (const [sql, args] of [[c.sql, c.args] as const, ...counts]) {
          const plan = (plain.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map(
            (r) => r.detail,
          );
          expect(plan, query).toContain("SEARCH r USING INTEGER PRIMARY KEY (rowid=?)");
          expect(plan.join("\n"), query).not.toMatch(/resources_type_updated/);
        }
      }
    },
  );

  // Issue 3: counting heart rates over 100 checked every heart rate (a token list, then an
  // sp_quantity seek per candidate), so the exact total grew with all heart rates, not with the
  // matches. The pair index answers both conditions in one range; only matches reach `resources`.
  it.each([true, false])("counts code + value-quantity as one range of the pair index (statistics: %s)", (analyze) => {
    const plain = syntheticDb(analyze);
    const plans = (query: string) => {
      const c = compileSearch(parseSearchRequest("Observation", new URLSearchParams(query)));
      return [
        [c.sql, c.args],
        [c.countSql, c.countArgs],
      ].map(([sql, args]) =>
        (plain.prepare(`EXPLAIN QUERY PLAN ${sql as string}`).all(...(args as never[])) as { detail: string }[]).map(
          (r) => r.detail,
        ),
      );
    };
    const range =
      /^SEARCH p\d+ USING COVERING INDEX sp_token_quantity_value \(type=\? AND param=\? AND token_code=\? AND token_system=\? AND value>\?\)$/;
    const [page, count] = plans("code=http://loinc.org|8867-4&value-quantity=gt100");
    // the page: the range, then the page's rows of `resources`
    expect(page).toContain("SEARCH r USING INTEGER PRIMARY KEY (rowid=?)");
    expect(
      page!.some((d) => range.test(d)),
      page!.join("\n"),
    ).toBe(true);
    expect(page!.join("\n")).not.toMatch(/sp_token_code|sp_quantity_|SCAN /);
    // the count: the range alone (distinct rids), however many heart rates there are
    expect(count!.filter((d) => !/TEMP B-TREE FOR count\(DISTINCT\)/.test(d))).toEqual([expect.stringMatching(range)]);
    // with a policy condition or another parameter, the count joins `resources` again
    const where = { sql: "r.compartment = ?", args: ["Patient/p1"] };
    expect(
      compileSearch(
        parseSearchRequest("Observation", new URLSearchParams("code=http://loinc.org|8867-4&value-quantity=gt100")),
        { where },
      ).countSql,
    ).toMatch(/FROM resources r/);
    expect(
      compileSearch(
        parseSearchRequest(
          "Observation",
          new URLSearchParams("code=http://loinc.org|8867-4&value-quantity=gt100&status=final"),
        ),
      ).countSql,
    ).toMatch(/FROM resources r/);
    // with a UCUM unit: one range per unit alternative (base units, or the value's own unit)
    for (const plan of plans("code=http://loinc.org|8867-4&value-quantity=gt100|http://unitsofmeasure.org|g")) {
      const text = plan.join("\n");
      expect(text).toMatch(
        /sp_token_quantity_norm \(type=\? AND param=\? AND token_code=\? AND token_system=\? AND norm_unit=\? AND norm_value>\?\)/,
      );
      expect(text).toMatch(
        /sp_token_quantity_value \(type=\? AND param=\? AND token_code=\? AND token_system=\? AND value>\?\)/,
      );
      expect(text).not.toMatch(/SCAN /);
    }
    expect(
      plain.prepare("SELECT count(*) AS n FROM sp_token_quantity WHERE param = 'code-value-quantity'").get(),
    ).toEqual({ n: 4000 });
  });
});
