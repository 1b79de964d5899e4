import { existsSync, readdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { fixtures } from "../../adapters/index/sqlite/search/testSupport/fixtures.ts";
import { dateRange, MAX_DATE } from "./dateRange.ts";
import { extractSearchValues, type SearchRow } from "./extractSearchValues.ts";

/** A typical Synthea vital-signs Observation (references resolved as after import). */
const syntheaObservation = {
  resourceType: "Observation",
  id: "d0b333f1-1daf-03ed-494a-a7231a113a78",
  meta: {
    profile: ["http://hl7.org/fhir/StructureDefinition/bp", "http://hl7.org/fhir/StructureDefinition/vitalsigns"],
  },
  status: "final",
  category: [
    {
      coding: [
        {
          system: "http://terminology.hl7.org/CodeSystem/observation-category",
          code: "vital-signs",
          display: "vital-signs",
        },
      ],
    },
  ],
  code: {
    coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood Pressure" }],
    text: "Blood Pressure",
  },
  subject: { reference: "Patient/057aa36e-b892-9964-75b9-ffb46b097e34" },
  encounter: { reference: "Encounter/81cae753-0a21-1b89-cadb-e82844f952e8" },
  effectiveDateTime: "2010-09-16T12:21:06+02:00",
  issued: "2010-09-16T12:21:06.190+02:00",
  component: [
    {
      code: {
        coding: [{ system: "http://loinc.org", code: "8462-4", display: "Diastolic Blood Pressure" }],
        text: "Diastolic Blood Pressure",
      },
      valueQuantity: { value: 70, unit: "mm[Hg]", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
    },
    {
      code: {
        coding: [{ system: "http://loinc.org", code: "8480-6", display: "Systolic Blood Pressure" }],
        text: "Systolic Blood Pressure",
      },
      valueQuantity: { value: 104, unit: "mm[Hg]", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
    },
  ],
};
const syntheaBodyHeight = {
  resourceType: "Observation",
  id: "dd7cd724-a033-5d70-bcec-421b65b3072a",
  meta: {
    profile: [
      "http://hl7.org/fhir/StructureDefinition/bodyheight",
      "http://hl7.org/fhir/StructureDefinition/vitalsigns",
    ],
  },
  status: "final",
  category: [
    {
      coding: [
        {
          system: "http://terminology.hl7.org/CodeSystem/observation-category",
          code: "vital-signs",
          display: "vital-signs",
        },
      ],
    },
  ],
  code: { coding: [{ system: "http://loinc.org", code: "8302-2", display: "Body Height" }], text: "Body Height" },
  subject: { reference: "Patient/057aa36e-b892-9964-75b9-ffb46b097e34" },
  encounter: { reference: "Encounter/81cae753-0a21-1b89-cadb-e82844f952e8" },
  effectiveDateTime: "2010-09-16T12:21:06+02:00",
  issued: "2010-09-16T12:21:06.190+02:00",
  valueQuantity: { value: 167.7, unit: "cm", system: "http://unitsofmeasure.org", code: "cm" },
};

const rows = (r: { resourceType: string }, param: string): SearchRow[] =>
  extractSearchValues(r).filter((x) => x.param === param);
const fixture = (id: string) => fixtures.find((r) => r.id === id)!;

describe("extractSearchValues", () => {
  it("indexes tokens from CodeableConcept with display and text for :text", () => {
    expect(rows(syntheaBodyHeight, "code")).toEqual([
      { kind: "token", param: "code", grp: 0, system: "http://loinc.org", code: "8302-2", text: "body height" },
      { kind: "token", param: "code", grp: 0, system: null, code: null, text: "body height" },
    ]);
  });

  it("indexes dates as millisecond ranges, honouring the time zone and precision", () => {
    const t = Date.parse("2010-09-16T10:21:06Z");
    expect(rows(syntheaBodyHeight, "date")).toEqual([{ kind: "date", param: "date", grp: 0, lo: t, hi: t + 999 }]);
    expect(rows(fixture("o2"), "date")).toEqual([
      {
        kind: "date",
        param: "date",
        grp: 0,
        lo: Date.parse("2021-07-01T00:00:00Z"),
        hi: Date.parse("2021-08-01T00:00:00Z") - 1,
      },
    ]);
    expect(rows(fixture("o7"), "date")).toEqual([
      { kind: "date", param: "date", grp: 0, lo: Date.parse("2023-05-01T00:00:00Z"), hi: MAX_DATE },
    ]);
  });

  it("indexes quantities, references filtered by resolve() type, and composites tied by group", () => {
    expect(rows(syntheaBodyHeight, "value-quantity")).toEqual([
      {
        kind: "quantity",
        param: "value-quantity",
        grp: 0,
        value: 167.7,
        system: "http://unitsofmeasure.org",
        code: "cm",
        unit: "cm",
        normValue: 1.677,
        normUnit: "m",
      },
    ]);
    expect(rows(syntheaBodyHeight, "patient")).toEqual([
      {
        kind: "reference",
        param: "patient",
        grp: 0,
        targetType: "Patient",
        targetId: "057aa36e-b892-9964-75b9-ffb46b097e34",
        url: null,
      },
    ]);
    const all = extractSearchValues(syntheaObservation);
    const pairs = all.filter((x) => x.param === "component-code-value-quantity");
    expect(pairs.map((p) => (p.kind === "token-quantity" ? [p.grp, p.tokenCode, p.value] : p.kind))).toEqual([
      [1, "8462-4", 70],
      [2, "8480-6", 104],
    ]);
    expect(all.filter((x) => x.param.startsWith("component-code-value-quantity$"))).toEqual([]);
  });

  it("indexes a token×quantity composite as one row per (token, quantity) pair, other composites as components", () => {
    expect(rows(syntheaBodyHeight, "code-value-quantity")).toEqual([
      {
        kind: "token-quantity",
        param: "code-value-quantity",
        grp: 1,
        tokenSystem: "http://loinc.org",
        tokenCode: "8302-2",
        value: 167.7,
        system: "http://unitsofmeasure.org",
        code: "cm",
        unit: "cm",
        normValue: 1.677,
        normUnit: "m",
      },
    ]);
    // every coding of the code with the value; text-only tokens and codings without a code are left out
    const twoCodings = {
      ...syntheaBodyHeight,
      code: {
        coding: [
          { system: "http://loinc.org", code: "8302-2" },
          { system: "urn:local", code: "H" },
          { system: "urn:local", display: "no code" },
        ],
        text: "x",
      },
    };
    expect(
      rows(twoCodings, "code-value-quantity").map((r) =>
        r.kind === "token-quantity" ? [r.tokenSystem, r.tokenCode, r.value] : r.kind,
      ),
    ).toEqual([
      ["http://loinc.org", "8302-2", 167.7],
      ["urn:local", "H", 167.7],
    ]);
    // the combo parameter: the resource and each component are focus elements (no value on the resource here)
    expect(
      rows(syntheaObservation, "combo-code-value-quantity").map((r) =>
        r.kind === "token-quantity" ? [r.grp, r.tokenCode, r.value] : r.kind,
      ),
    ).toEqual([
      [2, "8462-4", 70],
      [3, "8480-6", 104],
    ]);
    // no value, or a value that is not a Quantity: no row
    const { valueQuantity: _v, ...noValue } = syntheaBodyHeight;
    expect(rows(noValue, "code-value-quantity")).toEqual([]);
    const sampled = { ...noValue, valueSampledData: { origin: { value: 1 }, period: 1, dimensions: 1, data: "1 2" } };
    expect(rows(sampled, "code-value-quantity")).toEqual([]);
    expect(rows(sampled, "value-quantity")).toEqual([]);
    // a token×string composite keeps its component rows
    const concept = {
      ...noValue,
      valueCodeableConcept: { coding: [{ system: "http://snomed.info/sct", code: "8517006" }] },
    };
    expect(
      extractSearchValues(concept)
        .filter((r) => r.param.startsWith("code-value-concept"))
        .map((r) => [r.param, r.kind, r.grp]),
    ).toEqual([
      ["code-value-concept$0", "token", 1],
      ["code-value-concept$1", "token", 1],
    ]);
  });

  it("indexes names for default matching (accents removed, lower case) and keeps the original for :exact", () => {
    expect(rows(fixture("p2"), "name")).toContainEqual({
      kind: "string",
      param: "name",
      grp: 0,
      value: "Müller",
      norm: "muller",
    });
  });

  it("indexes identifiers, contact points, booleans and codes as tokens", () => {
    expect(rows(fixture("p1"), "identifier")).toContainEqual({
      kind: "token",
      param: "identifier",
      grp: 0,
      system: "urn:mrn",
      code: "MRN-001",
      text: "medical record number",
    });
    expect(rows(fixture("p1"), "phone")).toEqual([
      { kind: "token", param: "phone", grp: 0, system: "phone", code: "(03) 5555 6473", text: null },
    ]);
    expect(rows(fixture("p1"), "active")).toEqual([
      { kind: "token", param: "active", grp: 0, system: null, code: "true", text: null },
    ]);
    expect(rows(fixture("p2"), "deceased")).toEqual([
      { kind: "token", param: "deceased", grp: 0, system: null, code: "true", text: null },
    ]);
  });

  it("indexes absolute, contained, canonical and identifier-only references", () => {
    expect(rows(fixture("o5"), "subject")).toEqual([
      {
        kind: "reference",
        param: "subject",
        grp: 0,
        targetType: null,
        targetId: null,
        url: "http://other.example.org/fhir/Patient/ext1",
      },
    ]);
    expect(rows(fixture("o4"), "performer")).toEqual([
      { kind: "reference", param: "performer", grp: 0, targetType: null, targetId: null, url: "#cp" },
    ]);
    expect(rows(fixture("qr1"), "questionnaire")).toEqual([
      {
        kind: "reference",
        param: "questionnaire",
        grp: 0,
        targetType: null,
        targetId: null,
        url: "http://example.org/fhir/Questionnaire/phq9",
      },
    ]);
    expect(rows(fixture("o6"), "subject:identifier")).toEqual([
      { kind: "token", param: "subject:identifier", grp: 0, system: "urn:mrn", code: "MRN-002", text: null },
    ]);
  });

  it("indexes Timing events, numbers, Money and uris", () => {
    expect(rows(fixture("mr1"), "date")).toHaveLength(2);
    expect(rows(fixture("ra1"), "probability").map((r) => (r as { value: number }).value)).toEqual([0.25, 0.6]);
    expect(rows(fixture("vs1"), "url")).toEqual([
      { kind: "uri", param: "url", grp: 0, value: "http://example.org/fhir/ValueSet/colors" },
    ]);
  });

  it("refuses a resource with more search values than the cap", () => {
    const many = {
      resourceType: "Patient",
      id: "x",
      identifier: Array.from({ length: 50 }, (_, i) => ({ system: "urn:x", value: `v${i}` })),
    };
    expect(() => extractSearchValues(many, { maxRows: 20 })).toThrow(FhirLedgerError);
    expect(extractSearchValues(many).length).toBeGreaterThanOrEqual(50);
  });

  it("gives the same rows with the fast path as with the fhirpath engine alone", () => {
    const sample = [...fixtures, syntheaObservation, syntheaBodyHeight, ...syntheaSample(400)];
    const key = (r: SearchRow) => JSON.stringify(r);
    for (const r of sample) {
      const fast = extractSearchValues(r).map(key).sort();
      const engine = extractSearchValues(r, { engineOnly: true }).map(key).sort();
      expect({ id: `${r.resourceType}/${r.id}`, rows: fast }).toEqual({
        id: `${r.resourceType}/${r.id}`,
        rows: engine,
      });
    }
  });

  it("measures the extraction rate for a typical Synthea Observation", () => {
    const sample = [syntheaObservation, syntheaBodyHeight];
    for (let i = 0; i < 2000; i++) extractSearchValues(sample[i % 2]!);
    const n = 20_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) extractSearchValues(sample[i % 2]!);
    const micros = ((performance.now() - start) * 1000) / n;
    console.log(`extractSearchValues: ${micros.toFixed(1)} µs per Synthea Observation (${Math.round(1e6 / micros)}/s)`);
    expect(micros).toBeGreaterThan(0);
  });
});

describe("dateRange", () => {
  it.each([
    ["2020", "2020-01-01T00:00:00.000Z", "2020-12-31T23:59:59.999Z"],
    ["2020-02", "2020-02-01T00:00:00.000Z", "2020-02-29T23:59:59.999Z"],
    ["2020-02-29", "2020-02-29T00:00:00.000Z", "2020-02-29T23:59:59.999Z"],
    ["2020-02-29T10:00+01:00", "2020-02-29T09:00:00.000Z", "2020-02-29T09:00:59.999Z"],
    ["2020-02-29T10:00:05Z", "2020-02-29T10:00:05.000Z", "2020-02-29T10:00:05.999Z"],
    ["2020-02-29T10:00:05.1Z", "2020-02-29T10:00:05.100Z", "2020-02-29T10:00:05.199Z"],
    ["2020-02-29T10:00:05.123456Z", "2020-02-29T10:00:05.123Z", "2020-02-29T10:00:05.123Z"],
    ["0050-06", "0050-06-01T00:00:00.000Z", "0050-06-30T23:59:59.999Z"],
  ])("%s covers [%s, %s]", (text, lo, hi) => {
    const r = dateRange(text)!;
    expect([new Date(r.lo).toISOString(), new Date(r.hi).toISOString()]).toEqual([lo, hi]);
  });

  it.each(["2020-13", "2021-02-29", "20", "2020-01-01T25:00Z", "2020-01-01 10:00", "x"])("rejects %s", (text) => {
    expect(dateRange(text)).toBeUndefined();
  });
});

/** Resources from the Synthea sets when present (they are not part of a fresh clone). */
function syntheaSample(limit: number): Array<{ resourceType: string; id: string }> {
  const dir = new URL("../../../../shared/data/synthea-blaze/", import.meta.url);
  if (!existsSync(dir)) return [];
  const out: Array<{ resourceType: string; id: string }> = [];
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".json.gz"))
    .slice(0, 3)) {
    const bundle = JSON.parse(gunzipSync(readFileSync(new URL(f, dir))).toString()) as {
      entry?: { resource: { resourceType: string; id: string } }[];
    };
    for (const e of bundle.entry ?? []) if (out.length < limit) out.push(e.resource);
  }
  return out;
}
