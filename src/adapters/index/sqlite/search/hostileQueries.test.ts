import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

const db = createTestDb(fixtures);
const before = db.prepare("SELECT count(*) AS n FROM resources").get() as { n: number };

const hostile: [string, [string, string][]][] = [
  ["Patient", [["name", "' OR 1=1 --"]]],
  ["Patient", [["name", '"; DROP TABLE resources; --']]],
  ["Patient", [["name:exact", "x') UNION SELECT rid FROM resources --"]]],
  ["Patient", [["' OR 1=1 --", "x"]]],
  ["Patient", [["name:' OR 1=1", "x"]]],
  ["Patient", [["_sort", "name; DROP TABLE resources"]]],
  ["Patient", [["_sort", "-"]]],
  ["Patient", [["_sort", ",,,"]]],
  ["Patient", [["_count", "1e309"]]],
  ["Patient", [["_count", "99999999999999999999"]]],
  ["Patient", [["_offset", "-5"]]],
  ["Patient", [["_cursor", "r1; DROP TABLE x"]]],
  ["Patient", [["_cursor", "r99999999999999999999"]]],
  // the two-phase forms of a walk under a sort on values that change (see searchCursor)
  ...[
    { s: "1) OR 1=1 --" },
    // biome-ignore lint/correctness/noPrecisionLoss: an infinite number on purpose
    { s: 1e309 },
    { s: -1 },
    { s: 2 ** 64 },
    { s: [1] },
    { s: { s: 1 } },
    { k: ["x' OR '1'='1", 1], w: 1 },
    { k: ["a", 1], w: "1; DROP TABLE leaves" },
    { k: ["a", 1], w: 1.5 },
    { k: [["a"], 1], w: 1 },
    { k: ["a", 1], w: 1, s: 1 },
    { __proto__: { s: 1 } },
    JSON.parse('{"__proto__": {"s": 1}}'),
    { k: "a", w: 1 },
  ].map((cursor): [string, [string, string][]] => [
    "Patient",
    [
      ["_sort", "family"],
      ["_cursor", Buffer.from(JSON.stringify(cursor)).toString("base64url")],
    ],
  ]),
  ["Patient", [["_cursor", Buffer.from(JSON.stringify({ s: 1 })).toString("base64url")]]],
  ["Patient", [["birthdate", "ge"]]],
  ["Patient", [["birthdate", "ge9999-12-31T23:59:59.999Z"]]],
  ["Patient", [["birthdate", "0000"]]],
  ["Patient", [["birthdate", "2020-02-30"]]],
  ["Patient", [["birthdate", "2020-01-01T00:00:00+99:00"]]],
  ["Observation", [["value-quantity", "1e309"]]],
  ["Observation", [["value-quantity", "1e-400"]]],
  ["Observation", [["value-quantity", "NaN"]]],
  ["Observation", [["value-quantity", "Infinity"]]],
  ["Observation", [["value-quantity", "1|||"]]],
  ["Observation", [["value-quantity", "ap0"]]],
  ["RiskAssessment", [["probability", "-0"]]],
  ["Observation", [["code", "|"]]],
  ["Observation", [["code", "\\"]]],
  ["Observation", [["code", "\\\\,\\,"]]],
  ["Observation", [["code", ",,,,"]]],
  ["Observation", [["code-value-quantity", "a$b$c"]]],
  ["Observation", [["code-value-quantity", "$"]]],
  ["Observation", [["code-value-quantity", "x$notanumber"]]],
  ["Observation", [["subject", "Patient/"]]],
  ["Observation", [["subject", "/"]]],
  ["Observation", [["subject:Patient", ""]]],
  ["Observation", [["subject:NotAType", "1"]]],
  ["Observation", [["subject.", "x"]]],
  ["Observation", [[".name", "x"]]],
  ["Observation", [["subject:Patient.", "x"]]],
  ["Observation", [["subject..name", "x"]]],
  ["Observation", [["subject.name.family.given", "x"]]],
  ["Observation", [["_has", "x"]]],
  ["Observation", [["_has:", "x"]]],
  ["Observation", [["_has:Observation", "x"]]],
  ["Observation", [["_has:Observation:subject", "x"]]],
  ["Patient", [["_has:Observation:subject:", "x"]]],
  ["Patient", [["_has:Observation:subject:code:text:extra", "x"]]],
  ["Patient", [["name", "😀🎉".repeat(100)]]],
  ["Patient", [["name", "\u0000\u0001\u0002"]]],
  ["Patient", [["name", "\ud800"]]],
  ["Patient", [["name:contains", "\u202e\u200b"]]],
  ["Patient", [["name", "%00%27"]]],
  ["Patient", [["name", "x".repeat(100_000)]]],
  ["Patient", [["name".repeat(1000), "x"]]],
  ["Patient", [["name", Array.from({ length: 5000 }, () => "a").join(",")]]],
  ["Patient", Array.from({ length: 200 }, (_, i) => ["name", `n${i}`] as [string, string])],
  ["Patient", [["subject.".repeat(50) + "name", "x"]]],
  ["Patient", [["_has:Observation:subject:".repeat(20) + "code", "x"]]],
  // untyped chains fan out per level: 968 branches per value, 98,169 SQL variables for 100 values
  ["Library", [["composed-of.derived-from.performer._id", Array.from({ length: 100 }, (_, i) => `x${i}`).join(",")]]],
  ...["Library", "PlanDefinition", "Measure"].map((type): [string, [string, string][]] => [
    type,
    [["composed-of.derived-from.performer._id", "x1"]],
  ]),
  ["Observation", Array.from({ length: 64 }, (_, i): [string, string] => ["subject.name", `a${i},b${i},c${i}`])],
  ["Patient", [["_include", "'; DROP TABLE x"]]],
  ["Patient", [["_include", "Patient:*"]]],
  ["Patient", [["_revinclude:iterate", "Observation:subject:Patient"]]],
  ["Patient", [["_elements", "name,,id"]]],
  [
    "Patient",
    [
      ["_summary", "count"],
      ["_total", "accurate"],
    ],
  ],
  ["Patient", [["_id", "p1\u0000"]]],
  ["Patient", [["_lastUpdated", "le"]]],
  ["Patient", [["_lastUpdated", "ap1900"]]],
  ["Patient", [["identifier", "|||"]]],
  ["Patient", [["gender:missing", "TRUE"]]],
  ["Patient", [["gender:unknownmod", "x"]]],
  ["ValueSet", [["url:above", ""]]],
  ["ValueSet", [["url:below", "%"]]],
  ["ValueSet", [["url:below", "_"]]],
];

describe("hostile query strings", () => {
  it.each(hostile.map(([type, params]) => [type, JSON.stringify(params).slice(0, 90), params] as const))(
    "%s %s → results or a clean FhirLedgerError",
    (type, _label, params) => {
      const query = new URLSearchParams(params).toString();
      try {
        const { ids, total } = runSearch(db, type, query);
        expect(Array.isArray(ids)).toBe(true);
        expect(total).toBeGreaterThanOrEqual(0);
      } catch (e) {
        expect(e).toBeInstanceOf(FhirLedgerError);
        expect(["invalid", "bad-request"]).toContain((e as FhirLedgerError).code);
        expect((e as FhirLedgerError).message.length).toBeLessThan(300);
      }
    },
  );

  it("left stored data unchanged", () => {
    expect(db.prepare("SELECT count(*) AS n FROM resources").get()).toEqual(before);
  });

  it("matches LIKE wildcards literally", () => {
    expect(runSearch(db, "ValueSet", "url:below=%").ids).toEqual([]);
    expect(runSearch(db, "Patient", "name=_").ids).toEqual([]);
  });
});
