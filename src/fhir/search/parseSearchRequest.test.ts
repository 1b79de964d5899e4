import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { formatSearchRequest } from "./formatSearchRequest.ts";
import { parseSearchRequest } from "./parseSearchRequest.ts";

const parse = (type: string, query: string) => parseSearchRequest(type, new URLSearchParams(query));
/** The FhirLedgerError parsing throws (the test fails if it throws nothing or something else). */
const parseError = (type: string, query: string): FhirLedgerError => {
  try {
    parse(type, query);
  } catch (e) {
    expect(e).toBeInstanceOf(FhirLedgerError);
    return e as FhirLedgerError;
  }
  throw new Error(`${type}?${query} parsed without an error`);
};

describe("parseSearchRequest", () => {
  it("parses modifiers, prefixes and OR values with escapes", () => {
    const r = parse(
      "Observation",
      "code=http://loinc.org|1234-5,5678-9&date=ge2020-01&value-quantity=lt5.4|http://unitsofmeasure.org|mg&value-string:exact=a\\,b",
    );
    expect(r.filters).toEqual([
      {
        kind: "param",
        code: "code",
        paramType: "token",
        values: [{ system: "http://loinc.org", value: "1234-5" }, { value: "5678-9" }],
      },
      { kind: "param", code: "date", paramType: "date", values: [{ prefix: "ge", value: "2020-01" }] },
      {
        kind: "param",
        code: "value-quantity",
        paramType: "quantity",
        values: [{ prefix: "lt", value: "5.4", system: "http://unitsofmeasure.org", unit: "mg" }],
      },
      { kind: "param", code: "value-string", paramType: "string", modifier: "exact", values: [{ value: "a,b" }] },
    ]);
  });

  it("treats a string starting with a prefix-like word as a plain string", () => {
    const r = parse("Patient", "family=gtfoo");
    expect(r.filters[0]).toMatchObject({ values: [{ value: "gtfoo" }] });
  });

  it("repeats a parameter as AND", () => {
    const r = parse("Observation", "date=ge2020&date=lt2021");
    expect(r.filters).toHaveLength(2);
  });

  it("parses chains, typed chains, multi-level chains and _has", () => {
    const r = parse(
      "Observation",
      "subject:Patient.name=peter&patient.organization.name=acme&_has:Provenance:target:agent=Practitioner/1",
    );
    expect(r.filters[0]).toEqual({
      kind: "chain",
      code: "subject",
      explicitType: "Patient",
      targetTypes: ["Patient"],
      next: { kind: "param", code: "name", paramType: "string", values: [{ value: "peter" }] },
    });
    expect(r.filters[1]).toMatchObject({
      kind: "chain",
      code: "patient",
      targetTypes: ["Patient"],
      next: { kind: "chain", code: "organization" },
    });
    expect(r.filters[2]).toMatchObject({
      kind: "has",
      type: "Provenance",
      refParam: "target",
      next: { code: "agent" },
    });
  });

  it("resolves an untyped chain to the targets that define the chained parameter", () => {
    const r = parse("Observation", "subject.birthdate=1970");
    expect(r.filters[0]).toMatchObject({ kind: "chain", targetTypes: ["Patient"] });
  });

  it("asks for a type on chains through references to many types", () => {
    expect(parse("Provenance", "target.name=x").unknown[0]?.reason).toMatch(/ambiguous/);
    expect(parse("Provenance", "target:Patient.name=x").filters[0]).toMatchObject({
      kind: "chain",
      targetTypes: ["Patient"],
    });
  });

  it("parses result parameters", () => {
    const r = parse(
      "Observation",
      "_include=Observation:subject&_include:iterate=Patient:general-practitioner:Practitioner&_revinclude=Provenance:target&_sort=-date,code&_count=10&_offset=20&_total=accurate&_summary=count&_elements=id,code",
    );
    expect(r.include).toEqual([
      { sourceType: "Observation", param: "subject", iterate: false },
      { sourceType: "Patient", param: "general-practitioner", targetType: "Practitioner", iterate: true },
    ]);
    expect(r.revinclude).toEqual([{ sourceType: "Provenance", param: "target", iterate: false }]);
    expect(r.sort).toEqual([
      { code: "date", descending: true },
      { code: "code", descending: false },
    ]);
    expect(r).toMatchObject({ count: 10, offset: 20, total: "accurate", summary: "count", elements: ["id", "code"] });
  });

  it("collects unknown parameters instead of failing", () => {
    const r = parse("Patient", "foo=bar&_sort=nope&_text=x&gender=male&_format=json");
    expect(r.unknown.map((u) => u.name)).toEqual(["foo", "_sort", "_text"]);
    expect(r.filters).toHaveLength(1);
  });

  // Ignoring these would answer a wider question than the one asked (every Observation for code:in).
  it.each([
    ["Observation", "code:in=http://x", "code:in", "in"],
    ["Observation", "code:below=http://loinc.org|1234", "code:below", "below"],
    ["Observation", "code:above=x", "code:above", "above"],
    ["Observation", "code:not-in=http://x", "code:not-in", "not-in"],
    [
      "Patient",
      "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|123",
      "identifier:of-type",
      "of-type",
    ],
    ["Patient", "name:below=x", "name:below", "below"],
    ["Observation", "subject:Patient:missing=true", "subject:Patient:missing", "Patient:missing"],
    ["Observation", "subject:Medication=1", "subject:Medication", "Medication"],
    ["Observation", "subject:NotAType.name=x", "subject:NotAType.name", "NotAType"],
    ["Observation", "subject:Patient.name:in=x", "subject:Patient.name:in", "in"],
    ["Patient", "_has:Observation:subject:code:in=http://x", "_has:Observation:subject:code:in", "in"],
    ["Patient", "_id:exact=1", "_id:exact", "exact"],
    ["Observation", "date:exact=2020", "date:exact", "exact"],
  ])("refuses %s?%s: known parameter, unsupported modifier", (type, query, name, modifier) => {
    const error = parseError(type, query);
    expect(error.code).toBe("invalid");
    expect(error.issues).toEqual([
      { type: "not-supported", diagnostics: expect.stringContaining(`:${modifier}'`), expression: [name] },
    ]);
  });

  it("still ignores an unknown parameter whatever its modifier, and _include modifiers it lacks (they only add resources)", () => {
    const r = parse("Observation", "frobnicate:in=x&_include:nope=Observation:subject");
    expect(r.unknown.map((u) => u.name)).toEqual(["frobnicate:in", "_include:nope"]);
  });

  it("clamps _count to the maximum and remembers what was asked, so the Bundle can say so", () => {
    const reduced = parseSearchRequest("Patient", [["_count", "100000"]], { maxCount: 500 });
    expect(reduced).toMatchObject({ count: 500, countRequested: 100000 });
    expect(parseSearchRequest("Patient", [["_count", "500"]], { maxCount: 500 }).countRequested).toBeUndefined();
    expect(
      parseSearchRequest(
        "Patient",
        [
          ["_count", "100000"],
          ["_count", "10"],
        ],
        { maxCount: 500 },
      ).countRequested,
    ).toBeUndefined();
  });

  it("ignores empty values", () => {
    expect(parse("Patient", "name=&gender=").filters).toEqual([]);
  });

  it.each(
    [
      ["Patient", "birthdate=notadate"],
      ["Patient", "birthdate=2020-13"],
      ["Observation", "value-quantity=abc"],
      ["Patient", "_count=-1"],
      ["Patient", "_count=abc"],
      ["Patient", "_offset=99999999"],
      ["Patient", "_total=lots"],
      ["Patient", "_summary=maybe"],
      ["Patient", "name:missing=maybe"],
      ["Patient", "_elements=a;DROP TABLE"],
      ["Patient", "_cursor=' OR 1=1 --"],
      ["Patient", "name=" + Array.from({ length: 101 }, (_, i) => `n${i}`).join(",")],
      ["Patient", "name=" + "x".repeat(2000)],
      ["Patient", Array.from({ length: 65 }, (_, i) => `name=n${i}`).join("&")],
      ["Observation", "subject.organization.partof.partof.name=x"],
      [
        "Patient",
        "_has:Observation:subject:_has:Provenance:target:_has:AuditEvent:entity:_has:AuditEvent:entity:type=x",
      ],
    ].map(([t, q]) => [t!, q!.length > 80 ? q!.slice(0, 77) + "..." : q!, q!]),
  )("rejects %s?%s with FhirLedgerError invalid", (type, _label, query) => {
    const error = parseError(type, query);
    expect(error.code).toBe("invalid");
  });

  it("rejects an unknown resource type", () => {
    expect(() => parse("NotAType", "x=1")).toThrow(FhirLedgerError);
  });
});

describe("formatSearchRequest", () => {
  it.each([
    ["Observation", "code=http://loinc.org|1234-5,5678-9&date=ge2020-01&date=lt2021"],
    ["Observation", "value-quantity=lt5.4|http://unitsofmeasure.org|mg&value-string:exact=a\\,b\\|c"],
    ["Observation", "subject:Patient.name=peter&patient.organization.name=acme"],
    ["Patient", "_has:Observation:subject:code=1234&identifier=|x\\$y"],
    ["Observation", "code-value-quantity=http://loinc.org|8480-6$gt100"],
    ["Observation", "subject:Patient=123&subject:identifier=urn:mrn|7&subject:missing=true"],
    [
      "Observation",
      "_include=Observation:subject&_revinclude:iterate=Provenance:target&_sort=-date,code&_count=10&_offset=20&_total=accurate&_summary=data&_elements=id,code&_cursor=r42",
    ],
  ])("round-trips %s?%s", (type, query) => {
    const first = parse(type, query);
    const text = formatSearchRequest(first);
    const second = parse(type, text);
    expect(second).toEqual(first);
  });
});
