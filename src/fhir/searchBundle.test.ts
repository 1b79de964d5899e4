import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePieces } from "./jsonPieces.ts";
import { buildSearchset, searchsetPieces, shapeResource } from "./searchBundle.ts";
import type { SearchRequest } from "../ports/SearchRequest.ts";

type R = Record<string, unknown> & { resourceType: string; id: string; meta?: Record<string, unknown> };

const examples = join(createRequire(import.meta.url).resolve("hl7.fhir.r4.examples/package.json"), "..");
const example = (file: string) => JSON.parse(readFileSync(join(examples, file), "utf8")) as R;
const tags = (r: { meta?: unknown }) =>
  ((r.meta as { tag?: { code: string }[] } | undefined)?.tag ?? []).map((t) => t.code);

describe("shapeResource with _elements and _summary=text", () => {
  it("keeps the mandatory top-level elements whatever was asked, and marks the result SUBSETTED", () => {
    const observation = example("Observation-blood-pressure.json");
    const shaped = shapeResource(observation, { elements: ["subject"] });
    expect(Object.keys(shaped).sort()).toEqual(["code", "id", "meta", "resourceType", "status", "subject"]);
    expect([shaped.status, shaped.code]).toEqual([observation.status, observation.code]);
    expect(tags(shaped)).toEqual(["SUBSETTED"]);
    const text = shapeResource(observation, { summary: "text" });
    expect(Object.keys(text).sort()).toEqual(["code", "id", "meta", "resourceType", "status", "text"]);
  });

  it("keeps a mandatory choice element by its typed name, and a primitive's _name sibling with it", () => {
    const request = {
      resourceType: "MedicationRequest",
      id: "m1",
      status: "active",
      _status: { extension: [{ url: "http://example.org/why", valueString: "x" }] },
      intent: "order",
      medicationReference: { reference: "Medication/med1" },
      subject: { reference: "Patient/p1" },
      authoredOn: "2020-01-01",
      note: [{ text: "dropped" }],
    };
    const shaped = shapeResource(request, { elements: ["note"] });
    expect(Object.keys(shaped).sort()).toEqual([
      "_status",
      "id",
      "intent",
      "medicationReference",
      "meta",
      "note",
      "resourceType",
      "status",
      "subject",
    ]);
    const patient = example("Patient-example.json");
    expect(Object.keys(shapeResource(patient, { elements: ["birthDate"] })).sort()).toEqual([
      "_birthDate",
      "birthDate",
      "id",
      "meta",
      "resourceType",
    ]);
  });
});

describe("shapeResource with _summary=true", () => {
  it("keeps Patient's summary elements, recursively, and marks the result SUBSETTED", () => {
    const patient = example("Patient-example.json");
    expect(Object.keys(patient)).toEqual(expect.arrayContaining(["text", "contact"]));
    const summary = shapeResource(patient, { summary: "true" });
    expect(Object.keys(summary).sort()).toEqual([
      "_birthDate",
      "active",
      "address",
      "birthDate",
      "deceasedBoolean",
      "gender",
      "id",
      "identifier",
      "managingOrganization",
      "meta",
      "name",
      "resourceType",
      "telecom",
    ]);
    expect(summary.name).toEqual(patient.name); // every HumanName element is summary
    expect(summary._birthDate).toEqual(patient._birthDate); // a primitive's extensions travel with it
    expect(tags(summary)).toEqual(["SUBSETTED"]);
    expect(patient.meta).toBeUndefined(); // the stored resource is not modified
  });

  it("keeps Observation's status, code, subject, effective[x], value[x] and drops the rest", () => {
    const observation = example("Observation-blood-pressure.json");
    const summary = shapeResource(observation, { summary: "true" });
    for (const kept of ["status", "code", "subject", "effectiveDateTime", "performer", "identifier", "basedOn"])
      expect(summary[kept], kept).toEqual(observation[kept]);
    for (const dropped of ["text", "category", "interpretation", "bodySite"]) {
      expect(observation[dropped], dropped).toBeDefined();
      expect(summary[dropped], dropped).toBeUndefined();
    }
    // Backbone elements follow their own definitions: component.interpretation is not summary.
    const components = summary.component as Record<string, unknown>[];
    expect(components).toHaveLength(2);
    expect(components[0]!.valueQuantity).toEqual({
      value: 107,
      unit: "mmHg",
      system: "http://unitsofmeasure.org",
      code: "mm[Hg]",
    });
    expect(components.every((c) => c.code !== undefined && c.interpretation === undefined)).toBe(true);
    expect((summary.meta as { profile: string[] }).profile).toEqual([
      "http://hl7.org/fhir/StructureDefinition/vitalsigns",
    ]);
    expect(tags(summary)).toEqual(["SUBSETTED"]);
  });

  it("applies data types' own flags inside summary elements and leaves no empty objects", () => {
    const doc: R = {
      resourceType: "DocumentReference",
      id: "d1",
      meta: { tag: [{ system: "urn:x", code: "mine" }] },
      status: "current",
      description: "discharge note",
      custodian: { reference: "Organization/o1" },
      content: [
        {
          attachment: {
            contentType: "text/plain",
            data: "aGVsbG8=",
            title: "note",
            extension: [{ url: "urn:x", valueString: "x" }],
          },
        },
      ],
      context: { encounter: [{ reference: "Encounter/e1" }], period: { start: "2020-01-01" } },
      subject: { extension: [{ url: "urn:x", valueString: "only an extension" }] },
    };
    const summary = shapeResource(doc, { summary: "true" });
    expect(summary.status).toBe("current");
    expect(summary.description).toBe("discharge note");
    expect(summary.custodian).toBeUndefined(); // not summary
    // Attachment.data and Element.extension are not summary in the Attachment definition.
    expect(summary.content).toEqual([{ attachment: { contentType: "text/plain", title: "note" } }]);
    // context is summary, but of its elements only period is.
    expect(summary.context).toEqual({ period: { start: "2020-01-01" } });
    // A summary element with nothing summary left in it is dropped, not returned as {}.
    expect(summary.subject).toBeUndefined();
    expect(tags(summary)).toEqual(["mine", "SUBSETTED"]);
  });

  it("drops array items left empty and arrays left empty", () => {
    const patient: R = {
      resourceType: "Patient",
      id: "p1",
      name: [{ extension: [{ url: "urn:x", valueString: "x" }] }, { family: "Kept" }],
      telecom: [{ extension: [{ url: "urn:x", valueString: "x" }] }],
    };
    const summary = shapeResource(patient, { summary: "true" });
    expect(summary.name).toEqual([{ family: "Kept" }]);
    expect(summary.telecom).toBeUndefined();
  });

  it("leaves _elements first, _summary=false and no parameter alone", () => {
    const patient = example("Patient-example.json");
    expect(Object.keys(shapeResource(patient, { summary: "true", elements: ["gender"] })).sort()).toEqual([
      "gender",
      "id",
      "meta",
      "resourceType",
    ]);
    expect(shapeResource(patient, { summary: "false" })).toBe(patient);
    expect(shapeResource(patient, {})).toBe(patient);
  });
});

describe("buildSearchset", () => {
  const request: SearchRequest = {
    type: "Patient",
    filters: [],
    include: [],
    revinclude: [],
    sort: [],
    unknown: [],
    summary: "true",
  };
  it("returns summaries of the matches", () => {
    const bundle = buildSearchset({
      baseUrl: "http://x/fhir",
      request,
      matches: [example("Patient-example.json")],
      included: [],
      total: 1,
      nextCursor: null,
      warnings: [],
    });
    const entries = bundle.entry as { resource: R; search: { mode: string } }[];
    expect(entries.map((e) => e.search.mode)).toEqual(["match"]);
    expect(entries[0]!.resource.contact).toBeUndefined();
    expect(tags(entries[0]!.resource)).toEqual(["SUBSETTED"]);
    expect((bundle.link as { url: string }[])[0]!.url).toBe("http://x/fhir/Patient?_summary=true");
  });

  it("puts information (a reduced _count) after the warnings in one outcome entry", () => {
    const bundle = buildSearchset({
      baseUrl: "http://x/fhir",
      request,
      matches: [],
      included: [],
      total: 0,
      nextCursor: null,
      warnings: [{ code: "not-supported", diagnostics: "parameter ignored: foo (unknown parameter)" }],
      information: ["_count=5000 was reduced to 1000, the most this server returns in one page"],
    });
    const entries = bundle.entry as {
      resource: { issue: { severity: string; code: string }[] };
      search: { mode: string };
    }[];
    expect(entries.map((e) => e.search.mode)).toEqual(["outcome"]);
    expect(entries[0]!.resource.issue.map((i) => [i.severity, i.code])).toEqual([
      ["warning", "not-supported"],
      ["information", "informational"],
    ]);
    expect(
      buildSearchset({
        baseUrl: "http://x/fhir",
        request,
        matches: [],
        included: [],
        total: 0,
        nextCursor: null,
        warnings: [],
        information: [],
      }).entry,
    ).toBeUndefined();
  });

  it("gives _summary=count the total alone: no entries, no next link (search.html#summary)", () => {
    const count: SearchRequest = {
      type: "Patient",
      filters: [],
      include: [],
      revinclude: [],
      sort: [],
      unknown: [],
      summary: "count",
      count: 10,
    };
    const bundle = buildSearchset({
      baseUrl: "http://x/fhir",
      request: count,
      matches: [],
      included: [],
      total: 42,
      nextCursor: "abc",
      warnings: [],
    });
    expect(bundle.total).toBe(42);
    expect(bundle.entry).toBeUndefined();
    expect((bundle.link as { relation: string }[]).map((l) => l.relation)).toEqual(["self"]);
    const paged = buildSearchset({
      baseUrl: "http://x/fhir",
      request: { ...count, summary: "true" },
      matches: [],
      included: [],
      total: 42,
      nextCursor: "abc",
      warnings: [],
    });
    expect((paged.link as { relation: string }[]).map((l) => l.relation)).toEqual(["self", "next"]);
  });

  const observation = example("Observation-blood-pressure.json");
  const patient = example("Patient-example.json");
  const shapedEntries = (shape: Pick<SearchRequest, "summary" | "elements">) => {
    const search: SearchRequest = {
      type: "Observation",
      filters: [],
      include: [],
      revinclude: [],
      sort: [],
      unknown: [],
      ...shape,
    };
    const bundle = buildSearchset({
      baseUrl: "http://x/fhir",
      request: search,
      matches: [observation],
      included: [patient],
      total: 1,
      nextCursor: null,
      warnings: [],
    });
    return (bundle.entry as { resource: R; search: { mode: string } }[]).map((e) => ({
      mode: e.search.mode,
      resource: e.resource,
    }));
  };

  it("summarizes _include'd resources like the matches under _summary=true|text|data, SUBSETTED", () => {
    const [match, included] = shapedEntries({ summary: "true" });
    expect(included!.mode).toBe("include");
    expect(included!.resource.contact).toBeUndefined();
    expect(included!.resource.name).toEqual(patient.name);
    expect(match!.resource.category).toBeUndefined();
    expect([tags(match!.resource), tags(included!.resource)]).toEqual([["SUBSETTED"], ["SUBSETTED"]]);
    const text = shapedEntries({ summary: "text" })[1]!.resource;
    expect(Object.keys(text).sort()).toEqual(["id", "meta", "resourceType", "text"]);
    expect(text.text).toEqual(patient.text);
    expect(text.name).toBeUndefined();
    const data = shapedEntries({ summary: "data" })[1]!.resource;
    expect(data.text).toBeUndefined();
    expect(data.contact).toEqual(patient.contact);
    expect(tags(data)).toEqual(["SUBSETTED"]);
  });

  it("applies plain _elements to the matches only (R4), and type-qualified ones to included resources of that type", () => {
    const [match, included] = shapedEntries({ elements: ["status"] });
    expect(Object.keys(match!.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status"]);
    expect(included!.resource).toBe(patient);
    const [qualifiedMatch, qualifiedIncluded] = shapedEntries({
      elements: ["status", "Patient.gender", "Patient.birthDate"],
    });
    expect(Object.keys(qualifiedMatch!.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status"]);
    expect(Object.keys(qualifiedIncluded!.resource).sort()).toEqual([
      "_birthDate",
      "birthDate",
      "gender",
      "id",
      "meta",
      "resourceType",
    ]);
    expect(tags(qualifiedIncluded!.resource)).toEqual(["SUBSETTED"]);
  });
});

describe("searchsetPieces", () => {
  const patient = example("Patient-example.json");
  const observation = example("Observation-example.json");
  const stored = (r: R) => ({
    row: { type: r.resourceType, id: r.id },
    bytes: new TextEncoder().encode(JSON.stringify(r)),
    resource: r,
  });
  const base = (request: Partial<SearchRequest>) => ({
    baseUrl: "http://x/fhir",
    request: { type: "Patient", filters: [], include: [], revinclude: [], sort: [], unknown: [], ...request },
    total: 2,
    nextCursor: "abc",
    warnings: [{ code: "not-supported" as const, diagnostics: "parameter ignored: x" }],
    information: ["a note"],
  });

  it("writes the Bundle buildSearchset builds, shaped or not, with the stored resources as they are", () => {
    for (const request of [{}, { summary: "true" as const }, { elements: ["name"] }, { summary: "count" as const }]) {
      const input = base(request);
      const text = [...searchsetPieces({ ...input, matches: [stored(patient)], included: [stored(observation)] })]
        .map((p) => (typeof p === "string" ? p : new TextDecoder().decode(p)))
        .join("");
      expect(JSON.parse(text), JSON.stringify(request)).toEqual(
        buildSearchset({ ...input, matches: [patient], included: [observation] }),
      );
    }
    const empty = { ...base({}), warnings: [], information: [], nextCursor: null };
    expect(parsePieces(searchsetPieces({ ...empty, matches: [], included: [] }))).toEqual(
      buildSearchset({ ...empty, matches: [], included: [] }),
    );
  });
});
