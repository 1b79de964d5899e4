import { describe, expect, it } from "vitest";
import { formatSearchRequest } from "./formatSearchRequest.ts";
import { parseSystemSearchRequest } from "./parseSystemSearchRequest.ts";

const parse = (q: string) => parseSystemSearchRequest(new URLSearchParams(q));
const reasons = (q: string) => parse(q).unknown.map((u) => `${u.name}: ${u.reason}`);

describe("parseSystemSearchRequest", () => {
  it("spans every type and takes the parameters of every resource, with the result parameters", () => {
    const r = parse(
      "_id=a,b&_lastUpdated=ge2024-01-01&_tag=http://t|x&_profile=http://p&_security=R&_source=http://s&_sort=-_lastUpdated,_id&_count=5&_total=none&_summary=true&_elements=meta&_include=Observation:patient&_revinclude=Provenance:target",
    );
    expect(r.system).toEqual({ types: "*" });
    expect(r.unknown).toEqual([]);
    expect(r.filters.map((f) => (f.kind === "has" ? f.type : f.code))).toEqual([
      "_id",
      "_lastUpdated",
      "_tag",
      "_profile",
      "_security",
      "_source",
    ]);
    expect(r.sort).toEqual([
      { code: "_lastUpdated", descending: true },
      { code: "_id", descending: false },
    ]);
    expect([r.count, r.total, r.summary, r.elements]).toEqual([5, "none", "true", ["meta"]]);
    expect(r.include).toHaveLength(1);
    expect(r.revinclude).toHaveLength(1);
  });

  it("reports what not every type searched defines, and chains, _has and composites over several types", () => {
    expect(reasons("family=x&_sort=birthdate&_text=x")).toEqual([
      "family: not a parameter of every type searched",
      "_sort: unknown or unsortable parameter",
      "_text: unknown parameter",
    ]);
    expect(
      reasons("_type=Observation,Condition&subject.name=x&_has:Observation:patient:code=x&code-value-quantity=a$1"),
    ).toEqual([
      "subject.name: chains and _has need a single type (add _type)",
      "_has:Observation:patient:code: chains and _has need a single type (add _type)",
      "code-value-quantity: composite parameters need a single type (add _type)",
    ]);
    expect(reasons("_type=Observation,DiagnosticReport&code=x&status=final&_sort=-date")).toEqual([]);
    expect(reasons("_type=Observation,Condition&combo-code=x")).toEqual([
      "combo-code: not a parameter of every type searched",
    ]);
  });

  it("with _type, takes the parameters its types share; with one type, all of that type's", () => {
    const two = parse("_type=Observation, Condition,Observation&patient=Patient/1&code=http://loinc.org|1&_sort=-date");
    expect(two.system).toEqual({ types: ["Observation", "Condition"] });
    expect(two.unknown.map((u) => u.name)).toEqual(["_sort"]);
    expect(two.filters.map((f) => (f.kind === "has" ? f.type : f.code))).toEqual(["patient", "code"]);
    const one = parse("_type=Patient&family=x&general-practitioner.name=y&_sort=birthdate");
    expect(one.system).toEqual({ types: ["Patient"] });
    expect(one.type).toBe("Patient");
    expect(one.unknown).toEqual([]);
    expect(one.filters.map((f) => f.kind)).toEqual(["param", "chain"]);
    expect(parse("_type=").system).toEqual({ types: "*" });
  });

  it("refuses a shared parameter with a modifier it lacks, with or without _type", () => {
    expect(() => parse("_tag:in=http://x")).toThrow(/'_tag' does not support the modifier ':in'/);
    expect(() => parse("_type=Observation,Condition&code:below=x")).toThrow(
      /'code' does not support the modifier ':below'/,
    );
    expect(() => parse("_type=Observation&code:in=x")).toThrow(/':in'/);
  });

  it("refuses a _type naming no resource type, and _type given twice", () => {
    expect(() => parse("_type=Patient,Nope")).toThrow(/unknown resource type: Nope/);
    expect(() => parse("_type=Patient&_type=Observation")).toThrow(/once/);
  });

  it("formats back to the same search, _type first (for self and next links)", () => {
    const q = "_type=Observation,Condition&_tag=x&_sort=-_lastUpdated&_count=2";
    expect(formatSearchRequest(parse(q))).toBe("_type=Observation%2CCondition&_tag=x&_sort=-_lastUpdated&_count=2");
    expect(formatSearchRequest(parse("_id=a"))).toBe("_id=a");
    const again = parse(formatSearchRequest(parse(q)));
    expect(again).toEqual(parse(q));
  });
});
