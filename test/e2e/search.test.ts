import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheaSample } from "../support/fhirBundles.ts";
import type { R, Searchset as Bundle } from "../support/fhirBundles.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const sample = syntheaSample();
const patients = sample.filter((r) => r.resourceType === "Patient");
const observations = sample.filter((r) => r.resourceType === "Observation") as (R & {
  subject: { reference: string };
  code: { coding: { system: string; code: string }[] };
  effectiveDateTime?: string;
})[];

describe("search over HTTP on real components", () => {
  let server: TestServer;
  const search = async (path: string, init?: RequestInit) => {
    const res = await server.json<Bundle>(path, init);
    expect(res.status, path).toBe(200);
    return res.body;
  };
  const ids = (b: Bundle, mode = "match") =>
    (b.entry ?? [])
      .filter((e) => e.search.mode === mode)
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();

  beforeAll(async () => {
    server = await startTestServer();
    await server.putAll(sample);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("patient + code returns exactly the matching Observations, with an exact total", async () => {
    const p = patients[0]!.id;
    const code = observations.find((o) => o.subject.reference === `Patient/${p}`)!.code.coding[0]!;
    const expected = observations
      .filter(
        (o) =>
          o.subject.reference === `Patient/${p}` &&
          o.code.coding.some((c) => c.system === code.system && c.code === code.code),
      )
      .map((o) => `Observation/${o.id}`)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const b = await search(
      `/Observation?patient=${p}&code=${encodeURIComponent(`${code.system}|${code.code}`)}&_count=100`,
    );
    expect(b.type).toBe("searchset");
    expect(ids(b)).toEqual(expected);
    expect(b.total).toBe(expected.length);
  });

  it("patient + date range follows R4 date semantics", async () => {
    const p = patients[1]!.id;
    const inRange = (d?: string) =>
      d !== undefined &&
      Date.parse(d) >= Date.parse("2015-01-01T00:00:00Z") &&
      Date.parse(d) < Date.parse("2019-01-01T00:00:00Z");
    const expected = observations
      .filter((o) => o.subject.reference === `Patient/${p}` && inRange(o.effectiveDateTime))
      .map((o) => `Observation/${o.id}`)
      .sort();
    const b = await search(`/Observation?subject=Patient/${p}&date=ge2015-01-01&date=lt2019-01-01&_count=200`);
    expect(ids(b)).toEqual(expected);
  });

  it("pages through every Observation with next links and a stable total", async () => {
    let url: string | undefined = `/Observation?_count=10&_sort=-date`;
    const seen: string[] = [];
    let pages = 0;
    while (url) {
      const b = await search(url);
      expect(b.total).toBe(observations.length);
      seen.push(...ids(b));
      url = b.link.find((l) => l.relation === "next")?.url.replace(server.baseUrl, "");
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(observations.length / 10));
    expect(seen.sort()).toEqual(observations.map((o) => `Observation/${o.id}`).sort());
  });

  it("_include and _revinclude add the referenced and referring resources", async () => {
    const obs = observations[0]!;
    const inc = await search(`/Observation?_id=${obs.id}&_include=Observation:patient`);
    expect(ids(inc)).toEqual([`Observation/${obs.id}`]);
    expect(ids(inc, "include")).toEqual([obs.subject.reference]);
    const p = patients[0]!.id;
    const rev = await search(`/Patient?_id=${p}&_revinclude=Observation:patient`);
    expect(ids(rev)).toEqual([`Patient/${p}`]);
    expect(ids(rev, "include")).toEqual(
      observations
        .filter((o) => o.subject.reference === `Patient/${p}`)
        .map((o) => `Observation/${o.id}`)
        .sort(),
    );
  });

  it("_summary=count, _elements, POST _search and deleted resources", async () => {
    const count = await search(`/Observation?_summary=count`);
    expect(count.total).toBe(observations.length);
    expect(count.entry).toBeUndefined();
    const el = await search(`/Observation?_elements=status&_count=3`);
    for (const e of el.entry!) {
      expect(Object.keys(e.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status"]);
      expect(JSON.stringify(e.resource.meta)).toContain("SUBSETTED");
    }
    const p = patients[0]!.id;
    const viaPost = await server.json<Bundle>("/Observation/_search", {
      method: "POST",
      body: `patient=${p}&_count=500`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(viaPost.status).toBe(200);
    expect(ids(viaPost.body)).toEqual(
      observations
        .filter((o) => o.subject.reference === `Patient/${p}`)
        .map((o) => `Observation/${o.id}`)
        .sort(),
    );
    const victim = observations.find((o) => o.subject.reference === `Patient/${p}`)!;
    expect((await server.request(`/Observation/${victim.id}`, { method: "DELETE" })).status).toBe(204);
    const after = await search(`/Observation?patient=${p}&_count=500`);
    expect(ids(after)).not.toContain(`Observation/${victim.id}`);
    expect(after.total).toBe(ids(viaPost.body).length - 1);
  });

  it("_elements and _summary=text keep the mandatory elements (min 1), on search, read, vread and in Bundles, marked SUBSETTED", async () => {
    const subsetted = (r: R) => JSON.stringify(r.meta).includes("SUBSETTED");
    const obs = observations.at(-1)!;
    const searched = await search(`/Observation?_id=${obs.id}&_elements=subject`);
    const read = await server.json<R>(`/Observation/${obs.id}?_elements=subject`);
    const vread = await server.json<R>(`/Observation/${obs.id}/_history/1?_elements=subject`);
    const bundle = await server.json<{ entry: { resource: R }[] }>("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "batch",
        entry: [{ request: { method: "GET", url: `Observation/${obs.id}?_elements=subject` } }],
      }),
    });
    for (const shaped of [searched.entry![0]!.resource, read.body, vread.body, bundle.body.entry[0]!.resource]) {
      // Observation.status and Observation.code are mandatory: a strict client needs them
      expect(Object.keys(shaped).sort()).toEqual(["code", "id", "meta", "resourceType", "status", "subject"]);
      expect(shaped).toMatchObject({ status: obs.status, code: obs.code, subject: obs.subject });
      expect(subsetted(shaped)).toBe(true);
    }
    // a mandatory choice element keeps its typed name
    const medication = sample.find((r) => r.resourceType === "MedicationRequest")!;
    const [shapedMedication] = (await search(`/MedicationRequest?_id=${medication.id}&_elements=authoredOn`)).entry!;
    expect(Object.keys(shapedMedication!.resource).sort()).toEqual([
      "authoredOn",
      "id",
      "intent",
      "medicationCodeableConcept",
      "meta",
      "resourceType",
      "status",
      "subject",
    ]);
    // _summary=text: text, id, meta and the mandatory elements
    const text = await server.json<R>(`/Observation/${obs.id}?_summary=text`);
    expect(Object.keys(text.body).sort()).toEqual(
      ["code", "id", "meta", "resourceType", "status", ...(obs.text === undefined ? [] : ["text"])].sort(),
    );
  });

  it("_summary=true returns SUBSETTED summaries on search and on read, with no unsupported-parameter warning", async () => {
    const subsetted = (r: R) => JSON.stringify(r.meta).includes("SUBSETTED");
    const b = await search(`/Patient?_summary=true`);
    expect(b.total).toBe(patients.length);
    expect(b.entry!.map((e) => e.search.mode)).toEqual(patients.map(() => "match")); // no OperationOutcome entry
    for (const e of b.entry!) {
      const full = patients.find((p) => p.id === e.resource.id)!;
      expect(full.text && full.communication && full.maritalStatus && full.extension).toBeTruthy();
      for (const dropped of ["text", "communication", "maritalStatus", "multipleBirthBoolean", "extension"])
        expect(e.resource[dropped], dropped).toBeUndefined();
      for (const kept of ["identifier", "name", "gender", "birthDate"])
        expect(e.resource[kept], kept).toEqual(full[kept]);
      // Inside a summary element, the data type's own summary elements: Address keeps its
      // parts but not its extensions (Synthea's geolocation), as Element.extension is not summary.
      const address = (full.address as Record<string, unknown>[]).map(({ extension: _geolocation, ...parts }) => parts);
      expect(e.resource.address).toEqual(address);
      expect(subsetted(e.resource)).toBe(true);
    }
    const obs = await search(`/Observation?_summary=true&_count=5`);
    for (const e of obs.entry!) {
      expect(e.resource.category).toBeUndefined();
      expect(e.resource.code && e.resource.status && e.resource.subject).toBeTruthy();
      expect(subsetted(e.resource)).toBe(true);
    }

    const id = patients[0]!.id;
    const read = await server.json<R>(`/Patient/${id}?_summary=true`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(b.entry!.find((e) => e.resource.id === id)!.resource);
    expect(read.headers.get("etag")).toMatch(/^W\/"\d+"$/);
    const elements = await server.json<R>(`/Patient/${id}?_elements=gender`);
    expect(Object.keys(elements.body).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
    const plain = await server.json<R>(`/Patient/${id}`);
    expect(plain.body.communication).toEqual(patients[0]!.communication);
    expect(subsetted(plain.body)).toBe(false);
    expect((await server.request(`/Patient/${id}?_summary=count`)).status).toBe(400);
    expect((await server.request(`/Patient/${id}?_summary=maybe`)).status).toBe(400);
  });

  it("_summary shapes _include'd and _revinclude'd resources too; plain _elements the matches only, Type.element names the included", async () => {
    const subsetted = (r: R) => JSON.stringify(r.meta ?? {}).includes("SUBSETTED");
    const p = patients[0]!;
    // the last of the patient's Observations (an earlier test deletes the first)
    const obs = observations.filter((o) => o.subject.reference === `Patient/${p.id}`).at(-1)!;
    const included = async (query: string, mode = "include") =>
      (await search(query)).entry!.filter((e) => e.search.mode === mode).map((e) => e.resource);

    const [summaryPatient] = await included(`/Observation?_id=${obs.id}&_include=Observation:patient&_summary=true`);
    expect(summaryPatient!.id).toBe(p.id);
    for (const dropped of ["text", "communication", "maritalStatus"])
      expect(summaryPatient![dropped], dropped).toBeUndefined();
    expect(summaryPatient!.name).toEqual(p.name);
    expect(subsetted(summaryPatient!)).toBe(true);

    const revincluded = await included(`/Patient?_id=${p.id}&_revinclude=Observation:patient&_summary=data&_count=1`);
    expect(revincluded.length).toBeGreaterThan(0);
    expect(
      revincluded.every(
        (o) => o.resourceType === "Observation" && o.text === undefined && o.code !== undefined && subsetted(o),
      ),
    ).toBe(true);

    const plain = await search(`/Observation?_id=${obs.id}&_include=Observation:patient&_elements=status`);
    const [plainMatch, plainPatient] = plain.entry!;
    expect(Object.keys(plainMatch!.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status"]);
    expect(plainPatient!.resource.communication).toEqual(p.communication);
    expect(subsetted(plainPatient!.resource)).toBe(false);
    const [qualifiedPatient] = await included(
      `/Observation?_id=${obs.id}&_include=Observation:patient&_elements=status,Patient.gender`,
    );
    expect(Object.keys(qualifiedPatient!).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
    expect(subsetted(qualifiedPatient!)).toBe(true);

    const vread = await server.json<R>(`/Patient/${p.id}/_history/1?_elements=gender`);
    expect(vread.status).toBe(200);
    expect(Object.keys(vread.body).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
  });

  it("GET entries of batch and transaction Bundles honour _summary and _elements", async () => {
    const p = patients[1]!;
    const obs = observations.find((o) => o.subject.reference === `Patient/${p.id}`)!;
    const code = obs.code.coding[0]!;
    const urls = [
      `Patient/${p.id}?_elements=name`,
      `Patient/${p.id}/_history/1?_summary=true`,
      `Observation?code=${encodeURIComponent(`${code.system}|${code.code}`)}&patient=${p.id}&_summary=true&_include=Observation:patient`,
    ];
    for (const type of ["batch", "transaction"]) {
      const res = await server.json<{ entry: { resource?: R; response: { status: string } }[] }>("/", {
        method: "POST",
        body: JSON.stringify({
          resourceType: "Bundle",
          type,
          entry: urls.map((url) => ({ request: { method: "GET", url } })),
        }),
      });
      expect(res.status, type).toBe(200);
      const [elements, summary, searched] = res.body.entry;
      expect(Object.keys(elements!.resource!).sort()).toEqual(["id", "meta", "name", "resourceType"]);
      expect(JSON.stringify(elements!.resource!.meta)).toContain("SUBSETTED");
      expect(summary!.resource!.text).toBeUndefined();
      expect(summary!.resource!.name).toEqual(p.name);
      const entries = (searched!.resource as unknown as Bundle).entry!;
      expect(entries.map((e) => e.search.mode)).toContain("include");
      expect(
        entries.every((e) => e.resource.text === undefined && JSON.stringify(e.resource.meta).includes("SUBSETTED")),
      ).toBe(true);
    }
    // A read cannot be counted: in a batch that entry alone fails; a transaction fails whole.
    const withCount = (type: string) =>
      JSON.stringify({
        resourceType: "Bundle",
        type,
        entry: urls
          .map((url) => ({ request: { method: "GET", url } }))
          .concat({ request: { method: "GET", url: `Patient/${p.id}?_summary=count` } }),
      });
    const batch = await server.json<{ entry: { response: { status: string } }[] }>("/", {
      method: "POST",
      body: withCount("batch"),
    });
    expect(batch.body.entry.map((e) => e.response.status)).toEqual(["200 OK", "200 OK", "200 OK", "400 Bad Request"]);
    const transaction = await server.json<{ resourceType: string; issue: { diagnostics?: string }[] }>("/", {
      method: "POST",
      body: withCount("transaction"),
    });
    expect(transaction.status).toBe(400);
    expect(transaction.body.resourceType).toBe("OperationOutcome");
  });

  it("_total=none leaves Bundle.total out, estimate and accurate give the exact count, and _summary=count always counts", async () => {
    expect((await search(`/Patient?_total=none`)).total).toBeUndefined();
    expect((await search(`/Patient?_total=estimate`)).total).toBe(patients.length);
    expect((await search(`/Patient?_total=accurate`)).total).toBe(patients.length);
    const count = await search(`/Patient?_summary=count&_total=none`);
    expect(count.total).toBe(patients.length);
    expect(count.entry).toBeUndefined();
    // search.html#summary: a count is the count only; a next link would lead to more empty pages
    for (const path of [
      "/Patient?_summary=count",
      "/Observation?_summary=count&_count=1",
      "/?_summary=count&_count=1",
    ]) {
      const counted = await search(path);
      expect(
        counted.link.map((l) => l.relation),
        path,
      ).toEqual(["self"]);
      expect(counted.entry, path).toBeUndefined();
    }
  });

  it("reports unknown parameters, refuses them under handling=strict, and rejects malformed values with 400", async () => {
    const lenient = await search(`/Patient?frobnicate=1`);
    const outcome = lenient.entry!.find((e) => e.search.mode === "outcome")!.resource as unknown as {
      issue: { diagnostics: string }[];
    };
    expect(outcome.issue[0]!.diagnostics).toMatch(/frobnicate/);
    expect(lenient.total).toBe(patients.length);
    const strict = await server.json<{ resourceType: string }>(`/Patient?frobnicate=1`, {
      headers: { prefer: "handling=strict" },
    });
    expect(strict.status).toBe(400);
    expect(strict.body.resourceType).toBe("OperationOutcome");
    // a known parameter with a modifier we lack would widen the answer if ignored: 400 even when lenient
    for (const [path, name] of [
      ["/Observation?code:in=http://x", "code:in"],
      ["/Observation?code:below=http://loinc.org|1", "code:below"],
      ["/Observation?code:above=x", "code:above"],
      ["/Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|1", "identifier:of-type"],
      ["/Observation?subject:Patient:missing=true", "subject:Patient:missing"],
      ["/?_type=Observation&code:in=http://x", "code:in"],
    ] as const) {
      for (const prefer of ["handling=lenient", "handling=strict"]) {
        const res = await server.json<{
          resourceType: string;
          issue: { code: string; diagnostics: string; expression?: string[] }[];
        }>(path, { headers: { prefer } });
        expect(res.status, path).toBe(400);
        expect(res.body.issue[0], path).toMatchObject({ code: "not-supported", expression: [name] });
        expect(res.body.issue[0]!.diagnostics, path).toMatch(/does not support the modifier/);
      }
    }
    for (const bad of [
      "/Observation?date=not-a-date",
      "/Observation?value-quantity=abc",
      "/Observation?_count=-1",
      `/Observation?code=${"x,".repeat(500)}`,
    ]) {
      const res = await server.json<{ resourceType: string }>(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.resourceType).toBe("OperationOutcome");
    }
  });
});
