import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import type { SearchRequest } from "../../../../fhir/search/SearchRequest.ts";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { compileSearch } from "./compileSearch.ts";
import { writeSearchRows } from "./writeSearchRows.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

const db = createTestDb(fixtures);
const parse = (type: string, q: string) => parseSearchRequest(type, new URLSearchParams(q));
const ids = (rids: { rid: number }[]) =>
  rids.map(({ rid }) => (db.prepare("SELECT id FROM resources WHERE rid = ?").get(rid) as { id: string }).id);

describe("compileSearch options", () => {
  it("pages with _count and _offset, selecting one extra row to signal a next page", () => {
    const c = compileSearch(parse("Observation", "_count=3&_offset=2&_sort=_id"));
    const rows = db.prepare(c.sql).all(...c.args) as { rid: number }[];
    expect(c.limit).toBe(3);
    expect(ids(rows)).toEqual(["o3", "o4", "o5", "o6"]);
    expect(db.prepare(c.countSql).get(...c.countArgs)).toEqual({ total: 7 });
  });

  it("continues after a keyset cursor in default order", () => {
    const first = compileSearch(parse("Observation", "_count=2"));
    const page1 = db.prepare(first.sql).all(...first.args) as { rid: number }[];
    expect(ids(page1.slice(0, 2))).toEqual(["o1", "o2"]);
    const next = compileSearch(parse("Observation", `_count=2&_cursor=${first.nextCursor(page1[1]!)}`));
    expect(ids((db.prepare(next.sql).all(...next.args) as { rid: number }[]).slice(0, 2))).toEqual(["o3", "o4"]);
  });

  it.each(["_sort=-date,_id", "_sort=-date", "_sort=value-quantity", "_sort=-value-quantity,-_id", "_sort=status,-date", "_sort=subject", "_sort=_lastUpdated", "_sort=-_lastUpdated"])(
    "pages with keyset cursors (%s) without skips or repeats while resources are added",
    (sort) => {
      const local = createTestDb(fixtures);
      const all = (q: string) => {
        const c = compileSearch(parse("Observation", q));
        return local.prepare(c.sql).all(...c.args) as Record<string, unknown>[];
      };
      const expected = all(`${sort}&_count=100`).map((r) => r.rid);
      const seen: unknown[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const c = compileSearch(parse("Observation", `${sort}&_count=2${cursor ? `&_cursor=${cursor}` : ""}`));
        const rows = local.prepare(c.sql).all(...c.args) as Record<string, unknown>[];
        seen.push(...rows.slice(0, 2).map((r) => r.rid));
        if (page === 1) {
          // a resource added mid-way must not shift later pages (it shows up only if it sorts after the cursor)
          const o = { resourceType: "Observation", id: `new${page}`, status: "aaa", code: { coding: [{ code: "x" }] },
            effectiveDateTime: "2099-01-01", valueQuantity: { value: -1 }, subject: { reference: "Patient/000" } };
          const { rid } = local.prepare("INSERT INTO resources (type, id, version, last_updated) VALUES ('Observation', ?, 1, '2026-01-01T00:00:00.000Z') RETURNING rid").get(o.id) as { rid: number };
          writeSearchRows(local, rid, "Observation", extractSearchValues(o));
        }
        if (rows.length <= 2) break;
        cursor = c.nextCursor(rows[1]!);
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((rid) => expected.includes(rid))).toEqual(expected);
    },
  );

  it("rejects a cursor from another search", () => {
    const c = compileSearch(parse("Observation", "_count=1"));
    const row = (db.prepare(c.sql).all(...c.args) as Record<string, unknown>[])[0]!;
    expect(() => compileSearch(parse("Observation", `_sort=date&_cursor=${c.nextCursor(row)}`))).toThrow(FhirLedgerError);
  });

  it("applies a policy condition inside the query, so totals count only what the caller may see", () => {
    const where = { sql: "r.rid IN (SELECT rid FROM sp_reference WHERE param = 'subject' AND target_type = 'Patient' AND target_id = ?)", args: ["p1"] };
    const c = compileSearch(parse("Observation", "code=29463-7"), { where });
    expect(ids(db.prepare(c.sql).all(...c.args) as { rid: number }[])).toEqual(["o1", "o2"]);
    expect(db.prepare(c.countSql).get(...c.countArgs)).toEqual({ total: 2 });
  });

  it("defaults and caps the page size", () => {
    expect(compileSearch(parse("Patient", "")).limit).toBe(20);
    expect(compileSearch(parse("Patient", "_count=500"), { maxCount: 50 }).limit).toBe(50);
    expect(compileSearch(parse("Patient", "_count=0")).limit).toBe(0);
  });

  it("never puts a user value into the SQL text", () => {
    const evil = "x' OR '1'='1";
    for (const [type, key] of [["Patient", "name"], ["Observation", "subject:Patient.name"], ["Patient", "_has:Observation:subject:code"], ["Patient", "_id"]] as const) {
      const c = compileSearch(parseSearchRequest(type, [[key, evil]]));
      expect(c.sql).not.toMatch(/'1'/);
      expect(c.args.some((a) => typeof a === "string" && a.toLowerCase() === evil.toLowerCase())).toBe(true);
    }
  });

  it("enforces chain depth and OR-count caps on hand-built requests", () => {
    const deep = parse("Observation", "patient.organization.partof.name=x");
    expect(() => compileSearch(deep, { maxChainDepth: 2 })).toThrow(FhirLedgerError);
    const many: SearchRequest = parse("Patient", "name=a");
    (many.filters[0] as { values: unknown[] }).values = Array.from({ length: 11 }, () => ({ value: "a" }));
    expect(() => compileSearch(many, { maxOrValues: 10 })).toThrow(FhirLedgerError);
    expect(() => compileSearch(parse("Patient", "_sort=name&_cursor=r5"))).toThrow(FhirLedgerError);
    expect(() => compileSearch(parse("Patient", "_cursor=W251bGwsImEiXQ"))).toThrow(FhirLedgerError);
  });

  it("matches UCUM quantities across units (kg, [lb_av], t) and non-convertible units by code", () => {
    expect(runSearch(db, "Observation", "value-quantity=ge72|http://unitsofmeasure.org|kg").ids).toEqual(["Observation/o1", "Observation/o2", "Observation/o7"]);
    expect(runSearch(db, "Observation", "value-quantity=72000|http://unitsofmeasure.org|g").ids).toEqual(["Observation/o7"]);
    expect(runSearch(db, "Encounter", "length=0.5|http://unitsofmeasure.org|h").ids).toEqual(["Encounter/e1"]);
    expect(runSearch(db, "Observation", "value-quantity=37|http://unitsofmeasure.org|Cel").ids).toEqual(["Observation/o5"]);
  });

  it("supports _id and _lastUpdated through chains", () => {
    expect(runSearch(db, "Observation", "subject._id=p2").ids).toEqual(["Observation/o3"]);
    expect(runSearch(db, "Observation", "subject:Patient._lastUpdated=le2026-11-20T08:05:00Z").ids).toEqual(["Observation/o1", "Observation/o2"]);
  });
});

describe("orders that an index can serve", () => {
  const db = createTestDb(fixtures);
  it.each([
    ["Observation", "_count=2", "resources_type_live"],
    ["Observation", "_sort=_lastUpdated&_count=2", "resources_type_updated"],
    ["Observation", "_sort=-_lastUpdated&_count=2", "resources_type_updated"],
  ])("%s?%s reads %s in order instead of sorting every resource of the type", (type, query, index) => {
    const c = compileSearch(parse(type, query));
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...c.args) as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain(index);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
