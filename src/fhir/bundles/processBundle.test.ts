import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryFhir } from "../testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../testSupport/memoryFhir.ts";
import { processBundle } from "./processBundle.ts";

type Entry = {
  response: {
    status: string;
    location?: string;
    outcome?: { issue: { diagnostics: string; expression?: string[] }[] };
  };
};
type Part = Record<string, unknown>;

const operation = (type: string, path: string, ...parts: Part[]) => ({
  name: "operation",
  part: [{ name: "type", valueCode: type }, { name: "path", valueString: path }, ...parts],
});
const parameters = (...ops: unknown[]) => ({ resourceType: "Parameters", parameter: ops });
const patchEntry = (url: string, patch: unknown, request: Part = {}) => ({
  resource: patch,
  request: { method: "PATCH", url, ...request },
});
const bundle = (type: "batch" | "transaction", ...entry: unknown[]) => ({ resourceType: "Bundle", type, entry });

describe("processBundle: FHIRPath Patch entries (a Parameters resource)", () => {
  let engine: MemoryFhir;
  beforeEach(async () => {
    engine = await memoryFhir();
    await engine.put(
      {
        resourceType: "Patient",
        id: "p1",
        name: [{ family: "Before" }],
        birthDate: "1970-01-01",
        identifier: [{ system: "urn:test", value: "one" }],
      },
      { resourceType: "Patient", id: "p2", identifier: [{ system: "urn:test", value: "two" }] },
    );
  });
  afterEach(() => engine.close());

  const run = async (body: unknown) => (await processBundle(engine.bundleDeps(), body)).resource as { entry: Entry[] };
  const read = async (type: string, id: string) => (await engine.records.read(type, id)).resource!;

  it("transaction: patches by id and by criteria, with a urn:uuid in a value rewritten to the created resource", async () => {
    const result = await run(
      bundle(
        "transaction",
        {
          fullUrl: "urn:uuid:gp",
          resource: { resourceType: "Practitioner", name: [{ family: "Doctor" }] },
          request: { method: "POST", url: "Practitioner" },
        },
        patchEntry(
          "Patient/p1",
          parameters(
            operation("replace", "Patient.name.family", { name: "value", valueString: "After" }),
            operation(
              "add",
              "Patient",
              { name: "name", valueString: "generalPractitioner" },
              { name: "value", valueReference: { reference: "urn:uuid:gp" } },
            ),
            operation("delete", "Patient.birthDate"),
          ),
          { ifMatch: 'W/"1"' },
        ),
        patchEntry(
          "Patient?identifier=urn:test|two",
          parameters(
            operation("add", "Patient", { name: "name", valueString: "active" }, { name: "value", valueBoolean: true }),
          ),
        ),
      ),
    );
    expect(result.entry.map((e) => e.response.status)).toEqual(["201 Created", "200 OK", "200 OK"]);
    const practitioner = result.entry[0]!.response.location!.split("/")[1];
    const p1 = await read("Patient", "p1");
    expect(p1).toMatchObject({
      name: [{ family: "After" }],
      generalPractitioner: [{ reference: `Practitioner/${practitioner}` }],
      meta: { versionId: "2" },
    });
    expect(p1.birthDate).toBeUndefined();
    expect(result.entry[1]!.response.location).toBe("Patient/p1/_history/2");
    expect(await read("Patient", "p2")).toMatchObject({ active: true, meta: { versionId: "2" } });
  });

  it("transaction: a malformed FHIRPath Patch is a 400 naming the entry's operation, and nothing is written", async () => {
    const attempt = processBundle(
      engine.bundleDeps(),
      bundle(
        "transaction",
        { resource: { resourceType: "Patient", id: "new" }, request: { method: "PUT", url: "Patient/new" } },
        patchEntry(
          "Patient/p2",
          parameters(
            operation("add", "Patient", { name: "name", valueString: "active" }, { name: "value", valueBoolean: true }),
          ),
        ),
        patchEntry("Patient/p1", parameters({ name: "operation", part: [{ name: "type", valueCode: "copy" }] })),
      ),
    );
    await expect(attempt).rejects.toMatchObject({
      code: "invalid",
      issues: [expect.objectContaining({ expression: ["Bundle.entry[2].resource.parameter[0].part[0]"] })],
    });
    expect([engine.state("Patient", "new"), engine.state("Patient", "p1"), engine.state("Patient", "p2")]).toEqual([
      "absent",
      "live v1",
      "live v1",
    ]);
  });

  it("transaction: a patch that does not fit (422), a stale If-Match (412) or a criteria without match (404) fails it all", async () => {
    const cases: [unknown, string][] = [
      [
        patchEntry(
          "Patient/p1",
          parameters(operation("replace", "Patient.gender", { name: "value", valueCode: "male" })),
        ),
        "unprocessable",
      ],
      [
        patchEntry(
          "Patient/p1",
          parameters(operation("replace", "Patient.birthDate", { name: "value", valueDate: "not a date" })),
        ),
        "unprocessable",
      ],
      [
        patchEntry("Patient/p1", parameters(operation("delete", "Patient.birthDate")), { ifMatch: 'W/"9"' }),
        "precondition-failed",
      ],
      [
        patchEntry("Patient?identifier=urn:test|none", parameters(operation("delete", "Patient.birthDate"))),
        "not-found",
      ],
    ];
    for (const [entry, code] of cases) {
      const attempt = processBundle(
        engine.bundleDeps(),
        bundle("transaction", patchEntry("Patient/p2", parameters(operation("delete", "Patient.identifier"))), entry),
      );
      await expect(attempt, code).rejects.toMatchObject({ code, message: expect.stringContaining("Bundle.entry[1]") });
      expect([engine.state("Patient", "p1"), engine.state("Patient", "p2")]).toEqual(["live v1", "live v1"]);
    }
  });

  it("batch: each FHIRPath Patch entry stands alone; a failing one gets its own 4xx outcome", async () => {
    const result = await run(
      bundle(
        "batch",
        patchEntry(
          "Patient/p1",
          parameters(operation("replace", "Patient.birthDate", { name: "value", valueDate: "1980-02-02" })),
        ),
        patchEntry(
          "Patient/p2",
          parameters(operation("replace", "Patient.gender", { name: "value", valueCode: "male" })),
        ),
        patchEntry("Patient/p2", { resourceType: "Parameters", parameter: [{ name: "op" }] }),
        patchEntry(
          "Patient?identifier=urn:test|two",
          parameters(
            operation(
              "add",
              "Patient",
              { name: "name", valueString: "gender" },
              { name: "value", valueCode: "female" },
            ),
          ),
        ),
        patchEntry("Patient/p1", { resourceType: "Observation" }),
        patchEntry(
          "Patient/p1",
          parameters(
            operation(
              "add",
              "Patient",
              { name: "name", valueString: "managingOrganization" },
              { name: "value", valueReference: { reference: "urn:uuid:elsewhere" } },
            ),
          ),
        ),
      ),
    );
    expect(result.entry.map((e) => e.response.status)).toEqual([
      "200 OK",
      "422 Unprocessable Entity",
      "400 Bad Request",
      "200 OK",
      "400 Bad Request",
      "400 Bad Request",
    ]);
    expect(result.entry[2]!.response.outcome!.issue[0]!.expression).toEqual([
      "Bundle.entry[2].resource.parameter[0].name",
    ]);
    expect(JSON.stringify(result.entry[5]!.response.outcome)).toContain("urn:uuid:elsewhere");
    expect(await read("Patient", "p1")).toMatchObject({ birthDate: "1980-02-02", meta: { versionId: "2" } });
    expect(await read("Patient", "p2")).toMatchObject({ gender: "female", meta: { versionId: "2" } });
  });
});

describe("processBundle: conditional delete matching several resources", () => {
  let engine: MemoryFhir;
  const patient = (id: string, value: string) => ({
    resourceType: "Patient",
    id,
    identifier: [{ system: "urn:test", value }],
  });
  beforeEach(async () => {
    engine = await memoryFhir();
    await engine.put(
      patient("m0", "many"),
      patient("m1", "many"),
      patient("m2", "many"),
      patient("s0", "solo"),
      patient("o0", "other"),
    );
  });
  afterEach(() => engine.close());

  const deleteEntry = (criteria: string, request: Part = {}) => ({
    request: { method: "DELETE", url: `Patient?${criteria}`, ...request },
  });
  const states = (...ids: string[]) => ids.map((id) => engine.state("Patient", id));
  const run = async (body: unknown, overrides = {}) =>
    (await processBundle(engine.bundleDeps(overrides), body)).resource as { entry: Entry[] };

  it("transaction: deletes every match in the same write as the other entries; one match is a plain 204, none an informational 200", async () => {
    const result = await run(
      bundle(
        "transaction",
        deleteEntry("identifier=urn:test|many"),
        deleteEntry("identifier=urn:test|solo"),
        deleteEntry("identifier=urn:test|none"),
        { resource: { resourceType: "Patient", id: "new" }, request: { method: "PUT", url: "Patient/new" } },
      ),
    );
    expect(result.entry.map((e) => e.response.status)).toEqual(["200 OK", "204 No Content", "200 OK", "201 Created"]);
    expect(result.entry[0]!.response.outcome!.issue[0]!.diagnostics).toContain("deleted 3 Patient resources");
    expect(result.entry[2]!.response.outcome!.issue[0]!.diagnostics).toContain("nothing was deleted");
    expect(states("m0", "m1", "m2", "s0", "o0", "new")).toEqual([
      "deleted",
      "deleted",
      "deleted",
      "deleted",
      "live v1",
      "live v1",
    ]);
  });

  it("transaction: a failing entry, a match changed by another entry or too many matches leave every match in place", async () => {
    const failing = [
      bundle("transaction", deleteEntry("identifier=urn:test|many"), {
        resource: { resourceType: "Patient", birthDate: "yesterday" },
        request: { method: "POST", url: "Patient" },
      }),
      bundle("transaction", deleteEntry("identifier=urn:test|many"), {
        resource: { resourceType: "Patient", id: "m1", active: true },
        request: { method: "PUT", url: "Patient/m1" },
      }),
      bundle("transaction", deleteEntry("identifier=urn:test|many"), deleteEntry("identifier=urn:test|many")),
      bundle("transaction", deleteEntry("identifier=urn:test|many", { ifMatch: 'W/"1"' })),
    ];
    const codes: string[] = [];
    for (const body of failing)
      codes.push(
        await processBundle(engine.bundleDeps(), body).then(
          () => "ok",
          (error: { code: string }) => error.code,
        ),
      );
    expect(codes).toEqual(["invalid", "invalid", "invalid", "precondition-failed"]);
    await expect(
      processBundle(
        engine.bundleDeps({ maxDeletes: 2 }),
        bundle("transaction", deleteEntry("identifier=urn:test|many")),
      ),
    ).rejects.toMatchObject({ code: "precondition-failed", message: expect.stringContaining("more than 2") });
    // each within the cap, together beyond it: the transaction is one write
    const both = bundle(
      "transaction",
      deleteEntry("identifier=urn:test|many"),
      deleteEntry("identifier=urn:test|solo,other"),
    );
    await expect(processBundle(engine.bundleDeps({ maxDeletes: 4 }), both)).rejects.toMatchObject({
      code: "precondition-failed",
      message: expect.stringContaining("in all"),
    });
    expect(states("m0", "m1", "m2", "s0", "o0")).toEqual(["live v1", "live v1", "live v1", "live v1", "live v1"]);
    expect((await run(both, { maxDeletes: 5 })).entry.map((e) => e.response.status)).toEqual(["200 OK", "200 OK"]);
    expect(states("m0", "m1", "m2", "s0", "o0")).toEqual(["deleted", "deleted", "deleted", "deleted", "deleted"]);
  });

  it("batch: the entry deletes all its matches as one unit; beyond the cap it alone is a 412", async () => {
    const result = await run(
      bundle("batch", deleteEntry("identifier=urn:test|many"), deleteEntry("identifier=urn:test|solo,other"), {
        resource: { resourceType: "Patient", id: "kept" },
        request: { method: "PUT", url: "Patient/kept" },
      }),
      { maxDeletes: 2 },
    );
    expect(result.entry.map((e) => e.response.status)).toEqual(["412 Precondition Failed", "200 OK", "201 Created"]);
    expect(result.entry[0]!.response.outcome!.issue[0]!.diagnostics).toContain("more than 2");
    expect(result.entry[1]!.response.outcome!.issue[0]!.diagnostics).toContain("deleted 2 Patient resources");
    expect(states("m0", "m1", "m2", "s0", "o0", "kept")).toEqual([
      "live v1",
      "live v1",
      "live v1",
      "deleted",
      "deleted",
      "live v1",
    ]);
  });
});

describe("processBundle: GET entries take _summary and _elements like the REST reads and searches", () => {
  let engine: MemoryFhir;
  type R = Record<string, unknown> & { resourceType: string; meta?: { tag?: { code: string }[] } };
  type ReadEntry = { resource?: R; response: { status: string } };
  const tags = (r: R | undefined) => (r?.meta?.tag ?? []).map((t) => t.code);
  const get = (url: string) => ({ request: { method: "GET", url } });
  beforeEach(async () => {
    engine = await memoryFhir();
    const text = { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Ann</div>' };
    await engine.put({
      resourceType: "Patient",
      id: "p1",
      text,
      name: [{ family: "Ann" }],
      gender: "female",
      birthDate: "1970-01-01",
      contact: [{ name: { text: "kin" } }],
    });
    await engine.put({
      resourceType: "Patient",
      id: "p1",
      text,
      name: [{ family: "Ann" }],
      gender: "female",
      birthDate: "1970-01-01",
      contact: [{ name: { text: "kin" } }],
      active: true,
    });
    await engine.put({
      resourceType: "Observation",
      id: "o1",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
      subject: { reference: "Patient/p1" },
      category: [{ text: "vital-signs" }],
      valueQuantity: { value: 60 },
    });
  });
  afterEach(() => engine.close());

  const run = async (type: "batch" | "transaction", ...urls: string[]) =>
    ((await processBundle(engine.bundleDeps(), bundle(type, ...urls.map(get)))).resource as { entry: ReadEntry[] })
      .entry;
  const searchEntries = (entry: ReadEntry) =>
    (entry.resource!.entry as { resource: R; search: { mode: string } }[]).map((e) => ({
      mode: e.search.mode,
      resource: e.resource,
    }));

  it("read and vread entries shape the resource and mark it SUBSETTED; without a query it is whole", async () => {
    const [elements, summary, vread, whole, count] = await run(
      "batch",
      "Patient/p1?_elements=name",
      "Patient/p1?_summary=true",
      "Patient/p1/_history/1?_elements=gender",
      "Patient/p1",
      "Patient/p1?_summary=count",
    );
    expect(Object.keys(elements!.resource!).sort()).toEqual(["id", "meta", "name", "resourceType"]);
    expect(tags(elements!.resource)).toEqual(["SUBSETTED"]);
    expect(summary!.resource).toMatchObject({ name: [{ family: "Ann" }], birthDate: "1970-01-01", active: true });
    expect(summary!.resource!.contact).toBeUndefined();
    expect(summary!.resource!.text).toBeUndefined();
    expect(Object.keys(vread!.resource!).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
    expect(vread!.resource!.meta).toMatchObject({ versionId: "1" });
    expect(whole!.resource).toMatchObject({ contact: [{ name: { text: "kin" } }], text: { status: "generated" } });
    expect(tags(whole!.resource)).toEqual([]);
    expect(count!.response.status).toBe("400 Bad Request");
  });

  it("search entries shape the matches and the _include'd resources alike", async () => {
    const [summary, elements] = await run(
      "transaction",
      "Observation?code=http://loinc.org|8867-4&_summary=true&_include=Observation:subject",
      "Observation?_id=o1&_include=Observation:subject&_elements=status,Patient.gender",
    );
    const [match, included] = searchEntries(summary!);
    expect([match!.mode, included!.mode]).toEqual(["match", "include"]);
    expect(match!.resource.category).toBeUndefined();
    expect(match!.resource.valueQuantity).toEqual({ value: 60 });
    expect(included!.resource.contact).toBeUndefined();
    expect(included!.resource.name).toEqual([{ family: "Ann" }]);
    expect([tags(match!.resource), tags(included!.resource)]).toEqual([["SUBSETTED"], ["SUBSETTED"]]);
    const [shapedMatch, shapedInclude] = searchEntries(elements!);
    expect(Object.keys(shapedMatch!.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status"]);
    expect(Object.keys(shapedInclude!.resource).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
  });
});

describe("processBundle: entry preconditions (request.ifMatch, ifNoneMatch, ifModifiedSince)", () => {
  let engine: MemoryFhir;
  type Answer = {
    resource?: Record<string, unknown>;
    response: { status: string; etag?: string; lastModified?: string; outcome?: { issue: { diagnostics: string }[] } };
  };
  const put = (id: string, family: string, request: Part = {}) => ({
    resource: { resourceType: "Patient", id, name: [{ family }] },
    request: { method: "PUT", url: `Patient/${id}`, ...request },
  });
  const get = (url: string, request: Part = {}) => ({ request: { method: "GET", url, ...request } });
  const family = async (id: string) =>
    ((await engine.records.read("Patient", id)).resource as unknown as { name: { family: string }[] }).name[0]!.family;
  beforeEach(async () => {
    engine = await memoryFhir();
    await engine.put({ resourceType: "Patient", id: "s-p3", name: [{ family: "Kept" }] });
  });
  afterEach(() => engine.close());

  const run = async (type: "batch" | "transaction", ...entry: unknown[]) =>
    ((await processBundle(engine.bundleDeps(), bundle(type, ...entry))).resource as { entry: Answer[] }).entry;

  it("GET entries: ifNoneMatch naming the current version, or ifModifiedSince after lastModified, answer 304 without the resource", async () => {
    const { lastUpdated } = (await engine.index.current("Patient", "s-p3"))!;
    const later = new Date(Date.parse(lastUpdated) + 60_000).toISOString();
    const earlier = new Date(Date.parse(lastUpdated) - 60_000).toISOString();
    for (const type of ["batch", "transaction"] as const) {
      const answers = await run(
        type,
        get("Patient/s-p3", { ifNoneMatch: 'W/"1"' }),
        get("Patient/s-p3", { ifNoneMatch: 'W/"7"' }),
        get("Patient/s-p3", { ifModifiedSince: later }),
        get("Patient/s-p3", { ifModifiedSince: earlier }),
        get("Patient/s-p3/_history/1", { ifNoneMatch: "*" }),
      );
      expect(
        answers.map((a) => a.response.status),
        type,
      ).toEqual(["304 Not Modified", "200 OK", "304 Not Modified", "200 OK", "304 Not Modified"]);
      expect(answers[0]!.resource).toBeUndefined();
      expect(answers[0]!.response).toMatchObject({ etag: 'W/"1"', lastModified: lastUpdated });
      expect(answers[1]!.resource).toMatchObject({ resourceType: "Patient", id: "s-p3" });
    }
  });

  it("batch: a PUT with ifNoneMatch * is a 412 on an existing resource (unchanged) and creates a new one", async () => {
    const answers = await run(
      "batch",
      put("s-p3", "Overwritten", { ifNoneMatch: "*" }),
      put("s-p4", "New", { ifNoneMatch: "*" }),
    );
    expect(answers.map((a) => a.response.status)).toEqual(["412 Precondition Failed", "201 Created"]);
    expect(answers[0]!.response.outcome!.issue[0]!.diagnostics).toMatch(/^Bundle\.entry\[0\]/);
    expect(await family("s-p3")).toBe("Kept");
    expect(engine.state("Patient", "s-p4")).toBe("live v1");
  });

  it("transaction: a PUT with ifNoneMatch * on an existing resource fails the whole with a 412, nothing written", async () => {
    const attempt = processBundle(
      engine.bundleDeps(),
      bundle("transaction", put("s-p5", "New"), put("s-p3", "Overwritten", { ifNoneMatch: "*" })),
    );
    await expect(attempt).rejects.toMatchObject({
      code: "precondition-failed",
      message: expect.stringContaining("Bundle.entry[1]"),
    });
    expect([engine.state("Patient", "s-p5"), await family("s-p3")]).toEqual(["absent", "Kept"]);
    const ok = await run("transaction", put("s-p5", "New", { ifNoneMatch: "*" }));
    expect(ok[0]!.response.status).toBe("201 Created");
  });

  it("ifMatch * on PUT and DELETE entries: holds while the resource is current, a 412 once it is not", async () => {
    const answers = await run(
      "batch",
      put("s-p3", "Star", { ifMatch: "*" }),
      put("none-1", "Star", { ifMatch: "*" }),
      { request: { method: "DELETE", url: "Patient/none-2", ifMatch: "*" } },
      { request: { method: "DELETE", url: "Patient?name=nobody-at-all", ifMatch: 'W/"1"' } },
    );
    expect(answers.map((a) => a.response.status)).toEqual([
      "200 OK",
      "412 Precondition Failed",
      "412 Precondition Failed",
      "412 Precondition Failed",
    ]);
    expect(engine.state("Patient", "none-1")).toBe("absent");
    const deleted = await run("transaction", { request: { method: "DELETE", url: "Patient/s-p3", ifMatch: "*" } });
    expect(deleted[0]!.response.status).toBe("204 No Content");
    expect(engine.state("Patient", "s-p3")).toBe("deleted");
  });
});
