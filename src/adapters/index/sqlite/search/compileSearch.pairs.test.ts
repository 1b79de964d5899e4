import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { PREFIXES } from "../../../../ports/SearchRequest.ts";
import { compileSearch, type CompileSearchOptions } from "./compileSearch.ts";
import { fixtures, type FixtureResource } from "./testSupport/fixtures.ts";
import { Oracle } from "./testSupport/oracle.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

const NOW = Date.UTC(2026, 10, 26, 3, 0);
const LOINC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const meta = { lastUpdated: "2026-11-21T00:00:00.000Z" };
const heartRate = (id: string, value: number, extra: Record<string, unknown> = {}): FixtureResource => ({
  resourceType: "Observation",
  id,
  meta,
  status: "final",
  subject: { reference: "Patient/p1" },
  code: { coding: [{ system: LOINC, code: "8867-4", display: "Heart rate" }], text: "Heart rate" },
  valueQuantity: { value, unit: "/min", system: UCUM, code: "/min" },
  ...extra,
});
/** Heart rates, and the shapes where "code and value" and "a code with its value" could differ. */
const resources: FixtureResource[] = [
  ...fixtures,
  heartRate("hr60", 60),
  heartRate("hr100", 100),
  heartRate("hr104", 104),
  heartRate("hr180", 1.8, { valueQuantity: { value: 1.8, unit: "/s", system: UCUM, code: "/s" } }), // 108/min
  heartRate("hrLocal", 120, {
    code: {
      coding: [
        { system: "urn:local", code: "HR" },
        { system: LOINC, code: "8867-4" },
      ],
    },
  }),
  heartRate("hrNoUnit", 130, { valueQuantity: { value: 130 } }),
  heartRate("hrSampled", 0, {
    valueQuantity: undefined,
    valueSampledData: {
      origin: { value: 150, system: UCUM, code: "/min" },
      period: 1000,
      dimensions: 1,
      data: "150 151",
    },
  }),
  heartRate("hrDisplayOnly", 110, { code: { coding: [{ system: LOINC, display: "Heart rate, no code" }] } }),
  heartRate("hrNoValue", 0, { valueQuantity: undefined, dataAbsentReason: { text: "asked" } }),
  // components: 8480-6 is 141 and 8462-4 is 91, so 8480-6 with 91 is in the resource but not in one component
  {
    resourceType: "Observation",
    id: "bp",
    meta,
    status: "final",
    code: { coding: [{ system: LOINC, code: "85354-9" }] },
    component: [
      {
        code: { coding: [{ system: LOINC, code: "8480-6" }] },
        valueQuantity: { value: 141, system: UCUM, code: "mm[Hg]" },
      },
      {
        code: { coding: [{ system: LOINC, code: "8462-4" }] },
        valueQuantity: { value: 91, system: UCUM, code: "mm[Hg]" },
      },
    ],
  },
];
const db = createTestDb(resources);
const oracle = new Oracle(resources, NOW);
const compile = (query: string, options: CompileSearchOptions = {}) =>
  compileSearch(parseSearchRequest("Observation", new URLSearchParams(query)), { now: NOW, ...options });
const rewritten = (query: string, options: CompileSearchOptions = {}) =>
  compile(query, options).countSql.includes("sp_token_quantity");

const hr = `${LOINC}|8867-4`;
const pairQueries = [
  ...PREFIXES.flatMap((p) => [
    `code=${hr}&value-quantity=${p}100`,
    `code=8867-4&value-quantity=${p}104`,
    `code=|8867-4&value-quantity=${p}100`,
  ]),
  ...PREFIXES.map((p) => `code=${hr}&value-quantity=${p}100|${UCUM}|/min`),
  `code=${hr}&value-quantity=gt1.6|${UCUM}|/s`,
  `code=${hr}&value-quantity=130||`,
  `code=${hr}&value-quantity=130|${UCUM}|`,
  `code=urn:local|HR&value-quantity=120`,
  `code=${hr},urn:local|HR&value-quantity=lt70,gt115`,
  `value-quantity=gt100&code=${hr}`,
  `code=${hr}&value-quantity=gt100&value-quantity=lt120`,
  `code=${hr}&code=urn:local|HR&value-quantity=gt100`,
  `code=${hr}&value-quantity=gt100&patient=Patient/p1`,
  `code=${hr}&value-quantity=gt100&status=final`,
  `code=${hr}&value-quantity=gt100&_sort=-value-quantity`,
];
const compositeQueries = PREFIXES.flatMap((p) => [
  `code-value-quantity=${hr}$${p}100`,
  `code-value-quantity=8867-4$${p}100|${UCUM}|/min`,
  `component-code-value-quantity=8480-6$${p}91`,
]);
/** Not the composite's meaning, or not provably: compiled as two conditions. */
const notRewritten = [
  `code:not=${hr}&value-quantity=gt100`,
  `code:text=heart&value-quantity=gt100`,
  `code=${hr}&value-quantity:missing=false`,
  `code:missing=false&value-quantity=gt100`,
  `code=${LOINC}|&value-quantity=gt100`, // any coding of the system, with a code or not (composites keep coded tokens only)
  "component-code=8480-6&component-value-quantity=91",
  "combo-code=8480-6&combo-value-quantity=91",
  `category=vital-signs&value-quantity=gt100`,
  `code=${hr}&component-value-quantity=gt100`,
];

describe("token×quantity composites and the code + value-quantity rewrite", () => {
  it.each([...pairQueries, ...compositeQueries, ...notRewritten])(
    "Observation?%s finds what the FHIRPath oracle finds",
    (query) => {
      const request = parseSearchRequest("Observation", new URLSearchParams(query));
      expect(request.unknown).toEqual([]);
      const expected = oracle.search(request);
      const { ids, total } = runSearch(db, "Observation", query, { now: NOW });
      expect(ids).toEqual(expected);
      expect(total).toBe(expected.length);
    },
  );

  it("finds heart rates over 100 in any unit, and not a SampledData origin, a coding without a code or a missing value", () => {
    expect(runSearch(db, "Observation", `code=${hr}&value-quantity=gt100`).ids).toEqual(
      ["Observation/hr104", "Observation/hrLocal", "Observation/hrNoUnit"].sort(),
    );
    expect(runSearch(db, "Observation", `code=${hr}&value-quantity=gt100|${UCUM}|/min`).ids).toEqual([
      "Observation/hr104",
      "Observation/hr180",
      "Observation/hrLocal",
    ]);
    expect(runSearch(db, "Observation", "component-code=8480-6&component-value-quantity=91").ids).toEqual([
      "Observation/bp",
    ]);
    expect(runSearch(db, "Observation", "component-code-value-quantity=8480-6$91").ids).toEqual([]);
  });

  it.each(pairQueries)("compiles Observation?%s to one range of sp_token_quantity", (query) => {
    expect(rewritten(query)).toBe(true);
  });

  it.each(notRewritten)("keeps Observation?%s as separate conditions", (query) => {
    expect(compile(query).countSql).not.toContain("sp_token_quantity");
  });

  it("rewrites OR-lists as their cross product only within the OR-value cap", () => {
    const query = `code=${hr},urn:local|HR&value-quantity=lt70,gt115`;
    expect(rewritten(query, { maxOrValues: 4 })).toBe(true);
    expect(compile(query, { maxOrValues: 4 }).sql.match(/token_code = fl_seal\(\?\)/g)).toHaveLength(4);
    expect(rewritten(query, { maxOrValues: 3 })).toBe(false);
    expect(runSearch(db, "Observation", query, { maxOrValues: 3 })).toEqual(runSearch(db, "Observation", query));
  });

  it("pairs each code with one value-quantity; a second one stays a condition of its own", () => {
    const c = compile(`code=${hr}&value-quantity=gt100&value-quantity=lt120`);
    expect(c.sql.match(/sp_token_quantity/g)).toHaveLength(1);
    expect(c.sql.match(/sp_quantity /g)).toHaveLength(1);
  });

  it("drives by the pair, and checks it per candidate when a more selective parameter drives", () => {
    expect(compile(`category=vital-signs&code=${hr}&value-quantity=gt100`).countSql).toMatch(
      /r\.rid IN \(SELECT p\d+\.rid FROM sp_token_quantity/,
    );
    expect(compile(`code=${hr}&value-quantity=gt100&patient=Patient/p1`).countSql).toMatch(
      /EXISTS \(SELECT 1 FROM sp_token_quantity p\d+ WHERE p\d+\.rid = r\.rid/,
    );
    expect(compile(`code=${hr}&value-quantity=gt100&_id=hr104`).countSql).toMatch(
      /EXISTS \(SELECT 1 FROM sp_token_quantity/,
    );
  });

  it.each([...pairQueries, ...compositeQueries])(
    "counts Observation?%s from the pair index alone when it is the only condition, as many as with `resources`",
    (query) => {
      const c = compile(query);
      const joined = compile(query, { where: { sql: "1 = 1", args: [] } });
      expect(joined.countSql).toMatch(/FROM resources r/);
      const single =
        parseSearchRequest("Observation", new URLSearchParams(query)).filters.length ===
        (query.startsWith("code-value") ? 1 : 2);
      if (single && !query.includes("&_sort"))
        expect(c.countSql).toMatch(/^SELECT count\(DISTINCT p\d+\.rid\) AS total FROM sp_token_quantity p\d+ WHERE/);
      const total = (x: typeof c) => (db.prepare(x.countSql).get(...x.countArgs) as { total: number }).total;
      expect(total(c)).toBe(total(joined));
    },
  );

  it("still counts only live resources the caller may see", () => {
    const local = createTestDb(resources);
    const query = `code=${hr}&value-quantity=gt100`;
    local.prepare("UPDATE resources SET deleted = 1 WHERE type = 'Observation' AND id = 'hr104'").run();
    expect(runSearch(local, "Observation", query)).toEqual({
      ids: ["Observation/hrLocal", "Observation/hrNoUnit"],
      total: 2,
    });
    const where = { sql: "r.id <> ?", args: ["hrLocal"] };
    expect(runSearch(local, "Observation", query, { where })).toEqual({ ids: ["Observation/hrNoUnit"], total: 1 });
    expect(runSearch(local, "Observation", `code-value-quantity=${hr}$gt100`, { where })).toEqual({
      ids: ["Observation/hrNoUnit"],
      total: 1,
    });
  });

  it("rejects malformed composite values as before", () => {
    for (const value of ["a$b$c", "$", "x$notanumber", `${hr}`]) {
      expect(() => compile(`code-value-quantity=${encodeURIComponent(value)}`), value).toThrow(
        /values separated by \$|Malformed/,
      );
    }
  });
});
