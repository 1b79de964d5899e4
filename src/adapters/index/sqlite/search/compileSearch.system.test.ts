import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { parseSystemSearchRequest } from "../../../../fhir/search/parseSystemSearchRequest.ts";
import { compileSearch } from "./compileSearch.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { Oracle } from "./testSupport/oracle.ts";
import { createTestDb } from "./testSupport/testDb.ts";

const NOW = Date.UTC(2026, 10, 26, 3, 0);
const db = createTestDb(fixtures);
const oracle = new Oracle(fixtures, NOW);
const key = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;
/** rid = position + 1: the default order of a search. */
const position = new Map(fixtures.map((r, i) => [key(r), i]));
const allTypes = [...new Set(fixtures.map((r) => r.resourceType))];
const stamp = (i: number) => fixtures[i]!.meta!.lastUpdated!;

/** One page of a system-level search: `Type/id` of the matches, the total, the cursor after them. */
function system(query: string): { ids: string[]; total: number; next: string | null } {
  const request = parseSystemSearchRequest(new URLSearchParams(query));
  expect(request.unknown, query).toEqual([]);
  const compiled = compileSearch(request, { now: NOW, defaultCount: 1000 });
  const rows = db.prepare(compiled.sql).all(...compiled.args) as Record<string, unknown>[];
  const page = rows.slice(0, compiled.limit);
  const ids = page.map((row) => {
    const r = db.prepare("SELECT type, id FROM resources WHERE rid = ?").get(row.rid as number) as {
      type: string;
      id: string;
    };
    return `${r.type}/${r.id}`;
  });
  const { total } = db.prepare(compiled.countSql).get(...compiled.countArgs) as { total: number };
  // the commit a walk under a sort on _lastUpdated starts from (see SearchCursor); nothing changes here
  const watermark = compiled.walk
    ? Number((db.prepare("SELECT max(seq) AS seq FROM leaves").get() as { seq: number }).seq)
    : undefined;
  return { ids, total, next: rows.length > compiled.limit ? compiled.nextCursor(page.at(-1)!, watermark) : null };
}

/** What a system-level search must find: the union of the type-level searches of every type it spans (each checked by the FHIRPath oracle), in rid order. */
function expected(types: readonly string[], query: string): string[] {
  return types
    .flatMap((t) => oracle.search(parseSearchRequest(t, new URLSearchParams(query))))
    .sort((a, b) => position.get(a)! - position.get(b)!);
}

describe("compileSearch: system-level search (every type, or those _type names)", () => {
  it.each([
    "",
    "_tag=http://example.org/tags|vip",
    "_tag=vip,test",
    "_tag:not=vip",
    "_tag:missing=false",
    "_security=R",
    "_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    `_lastUpdated=ge${stamp(10)}`,
    `_lastUpdated=gt${stamp(5)}&_lastUpdated=le${stamp(12)}`,
    "_id=p1,o1,org1,nothing",
    `_id=p1,o1,org1&_lastUpdated=gt${stamp(4)}`,
    "_id:not=p1",
  ])("without _type, %s matches what every type's own search matches", (query) => {
    const got = system(query);
    const want = expected(allTypes, query);
    expect(got.ids).toEqual(want);
    expect(got.total).toBe(want.length);
  });

  it.each([
    ["Patient,Observation", ""],
    ["Patient,Observation", "_tag=vip,test"],
    ["Observation,Condition", "patient=Patient/p1"],
    ["Observation,Condition", "subject=Patient/p2&_lastUpdated=ge2026-01-01"],
    ["Observation,Condition", "code=http://loinc.org|29463-7"],
    ["Observation,Condition,RiskAssessment", "subject:missing=true"],
    ["Patient", "family=chalmers"],
    ["Patient", "_tag=vip&birthdate=1974"],
  ])("with _type=%s, %s matches what each type's own search matches", (types, query) => {
    const got = system(`_type=${types}${query ? `&${query}` : ""}`);
    const want = expected(types.split(","), query);
    expect(want.length + (query === "" ? 0 : 1)).toBeGreaterThan(0);
    expect(got.ids).toEqual(want);
    expect(got.total).toBe(want.length);
  });

  it.each([
    "_sort=-_lastUpdated",
    "_sort=_lastUpdated",
    "_sort=_id",
    "_sort=-_id",
    "_sort=-_lastUpdated&_tag:missing=true",
    "",
  ])("pages every type with keyset cursors (%s): each resource once, in sort order", (sort) => {
    const all = system(`${sort}&_count=1000`);
    expect(all.ids.length).toBeGreaterThan(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = system(`${sort}&_count=4${cursor ? `&_cursor=${cursor}` : ""}`);
      expect(page.total).toBe(all.ids.length);
      seen.push(...page.ids);
      cursor = page.next;
      pages++;
    } while (cursor && pages < 50);
    expect(seen).toEqual(all.ids);
    expect(pages).toBe(Math.ceil(all.ids.length / 4));
  });

  it("sorts across types by the common parameters", () => {
    const byUpdated = [...fixtures].sort((a, b) => b.meta!.lastUpdated!.localeCompare(a.meta!.lastUpdated!)).map(key);
    expect(system("_sort=-_lastUpdated").ids).toEqual(byUpdated);
    const byId = [...fixtures]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : position.get(key(a))! - position.get(key(b))!))
      .map(key);
    expect(system("_sort=_id").ids).toEqual(byId);
  });

  it("keeps type-level search's SQL: a single _type compiles as that type's search", () => {
    const typeLevel = compileSearch(parseSearchRequest("Observation", new URLSearchParams("code=x&_sort=-date")), {
      now: NOW,
    });
    const single = compileSearch(
      parseSystemSearchRequest(new URLSearchParams("_type=Observation&code=x&_sort=-date")),
      { now: NOW },
    );
    expect(single.sql).toBe(typeLevel.sql);
    expect(single.args).toEqual(typeLevel.args);
  });

  it("reads the index tables by type, every type named, so their type-led indexes serve a search of all types", () => {
    const compiled = compileSearch(parseSystemSearchRequest(new URLSearchParams("_tag=vip")), { now: NOW });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...compiled.args) as { detail: string }[])
      .map((r) => r.detail)
      .join("\n");
    expect(plan).toMatch(/sp_token_code/);
    expect(plan).not.toMatch(/SCAN (t\d+|sp_token)\b/);
  });
});
