import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import type { FixtureResource } from "./testSupport/fixtures.ts";
import { generateQueries, withDriver } from "./testSupport/generateQueries.ts";
import { Oracle } from "./testSupport/oracle.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

/**
 * Real data: two Synthea patients (190 resources, references resolved as the importer does),
 * committed so the suite runs on a fresh clone.
 */
const sample = JSON.parse(
  readFileSync(new URL("./testSupport/syntheaSample.json", import.meta.url), "utf8"),
) as FixtureResource[];
const NOW = Date.UTC(2026, 10, 26, 3, 0);
const resources = sample.map((r, i) => ({
  ...r,
  meta: { ...r.meta, lastUpdated: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() },
}));
const db = createTestDb(resources);
const oracle = new Oracle(resources, NOW);
const generated = generateQueries(resources, oracle, 3);
const queries = [...generated, ...withDriver(resources, generated)];

describe("compileSearch against the FHIRPath oracle on Synthea data", () => {
  it("generates queries over every type and parameter present", () => {
    const nonEmpty = queries.filter(
      ([type, q]) => oracle.search(parseSearchRequest(type, new URLSearchParams(q))).length > 0,
    ).length;
    console.log(
      `Synthea oracle queries: ${queries.length} over ${resources.length} resources, with results: ${nonEmpty}`,
    );
    expect(queries.length).toBeGreaterThan(1000);
  });

  it.each(queries)("%s?%s", (type, query) => {
    const request = parseSearchRequest(type, new URLSearchParams(query));
    expect(request.unknown).toEqual([]);
    const expected = oracle.search(request);
    const { ids, total } = runSearch(db, type, query, { now: NOW });
    expect(ids).toEqual(expected);
    expect(total).toBe(expected.length);
  });
});
