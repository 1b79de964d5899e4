import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAuthenticator } from "../auth/devTokenAuthenticator.ts";
import { memoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import { createApp } from "./createApp.ts";

const TOKEN = "create-app-test-token-0123456789";
interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string }[];
}
interface Searchset {
  total: number;
  entry?: { resource: { id: string }; search: { mode: string } }[];
}

/** The HTTP edge over the in-memory engine: what a client sees, without a socket. */
describe("createApp: the HTTP edge", () => {
  let engine: MemoryFhir;
  let app: ReturnType<typeof createApp>;
  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${TOKEN}`);
    return app.request(`http://fhir.test${path}`, { ...init, headers });
  };
  const json = async <T = Outcome>(path: string, init: RequestInit = {}) => {
    const res = await request(path, init);
    return { status: res.status, headers: res.headers, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    engine = await memoryFhir();
    await engine.put(
      { resourceType: "Patient", id: "m1", name: [{ family: "Mueller" }] },
      { resourceType: "Patient", id: "m2", name: [{ family: "Mueller" }] },
      { resourceType: "Patient", id: "o1", name: [{ family: "Other" }] },
    );
    app = createApp({
      engine: engine.engine,
      authenticate: devTokenAuthenticator(TOKEN),
      baseUrl: () => "http://fhir.test",
      health: async () => ({ status: "ok", checks: {} }),
      metrics: async () => "",
      maxBodyBytes: 1 << 20,
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("POST [type]/_search searches with the URL's parameters when the body is empty, whatever the Content-Type", async () => {
    const contentTypes: Record<string, string>[] = [
      {},
      { "content-type": "application/fhir+json" },
      { "content-type": "text/plain" },
    ];
    for (const headers of contentTypes) {
      const res = await json<Searchset>("/Patient/_search?family=mueller", { method: "POST", headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.body.total).toBe(2);
    }
    const combined = await json<Searchset>("/Patient/_search?family=mueller", {
      method: "POST",
      body: "_id=m2",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    });
    expect(combined.body.entry?.map((e) => e.resource.id)).toEqual(["m2"]);
  });

  it("POST [type]/_search refuses a body that is not form-encoded (415) and a malformed form body (400)", async () => {
    const jsonBody = await json("/Patient/_search", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/fhir+json" },
    });
    expect(jsonBody.status).toBe(415);
    expect(jsonBody.body.issue[0]!.diagnostics).toMatch(/application\/x-www-form-urlencoded/);
    const malformed = await json("/Patient/_search", {
      method: "POST",
      body: "family=%ZZ",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(malformed.status).toBe(400);
  });

  it("answers system-level search alike over GET [base]?… and POST [base]/_search (URL and form body)", async () => {
    const get = await json<Searchset>("/?_type=Patient&family=mueller&_id=m1,m2,o1");
    const post = await json<Searchset>("/_search?_type=Patient", {
      method: "POST",
      body: "family=mueller&_id=m1,m2,o1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([get.status, post.status]).toEqual([200, 200]);
    expect(get.body.entry?.map((e) => e.resource.id)).toEqual(["m1", "m2"]);
    expect(post.body).toEqual(get.body);
    const strict = await json("/?family=mueller", { headers: { prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
    expect(strict.body.issue[0]).toMatchObject({
      code: "not-supported",
      diagnostics: "family: not a parameter of every type searched",
    });
    expect(
      (await json("/_search", { method: "POST", body: "{}", headers: { "content-type": "application/fhir+json" } }))
        .status,
    ).toBe(415);
  });

  it("answers a method the path does not take with 405, Allow and an OperationOutcome, before authentication", async () => {
    const res = await app.request("http://fhir.test/Patient/m1", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/fhir+json" },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PUT, PATCH, DELETE");
    expect(res.headers.get("content-type")).toMatch(/application\/fhir\+json/);
    expect(((await res.json()) as Outcome).issue[0]).toMatchObject({
      severity: "error",
      code: "not-supported",
      diagnostics: expect.stringContaining("POST is not supported on /Patient/m1"),
    });
    expect((await request("/Patient", { method: "OPTIONS" })).status).toBe(405);
    expect(
      (
        await request("/", { method: "PUT", body: "{}", headers: { "content-type": "application/fhir+json" } })
      ).headers.get("allow"),
    ).toBe("GET, HEAD, POST");
    expect(
      (
        await request("/Unknown/x", {
          method: "POST",
          body: "{}",
          headers: { "content-type": "application/fhir+json" },
        })
      ).status,
    ).toBe(404);
    expect((await request("/Patient/m1", { method: "HEAD" })).status).toBe(200);
  });

  it("answers type-level Patient/$everything, GET $validate and unknown operations with what is supported", async () => {
    const everything = await json<Searchset & { resourceType: string; type: string }>("/Patient/$everything");
    expect(everything.status).toBe(200);
    expect([everything.body.resourceType, everything.body.type]).toEqual(["Bundle", "searchset"]);
    const validate = await json("/Patient/$validate");
    expect(validate.status).toBe(405);
    expect(validate.body.issue[0]!.diagnostics).toMatch(/POST \[type\]\/\$validate/);
    const unknown = await json("/Patient/$frobnicate");
    expect(unknown.status).toBe(404);
    expect(unknown.body.issue[0]!.diagnostics).toBe("operation $frobnicate is not supported on Patient");
  });

  it("$validate refuses a nominated profile it does not know, in the URL or in Parameters", async () => {
    const patient = { resourceType: "Patient", name: [{ family: "X" }] };
    const headers = { "content-type": "application/fhir+json" };
    const usCore = await json(
      "/Patient/$validate?profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
      { method: "POST", body: JSON.stringify(patient), headers },
    );
    expect(usCore.status).toBe(400);
    expect(usCore.body.issue[0]).toMatchObject({
      code: "not-supported",
      diagnostics: expect.stringContaining("us-core-patient"),
    });
    const base = await json("/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Patient|4.0.1", {
      method: "POST",
      body: JSON.stringify(patient),
      headers,
    });
    expect(base.status).toBe(200);
  });

  it("takes _format with its + decoded to a space, and refuses another FHIR version in Accept (406) or Content-Type (415)", async () => {
    expect((await request("/Patient?_format=application/fhir+json")).status).toBe(200);
    expect((await request("/Patient?_format=application/fhir+xml")).status).toBe(406);
    expect((await request("/Patient", { headers: { accept: "application/fhir+json; fhirVersion=3.0" } })).status).toBe(
      406,
    );
    expect((await request("/Patient", { headers: { accept: "application/fhir+json; fhirVersion=4.0" } })).status).toBe(
      200,
    );
    const r3Body = await request("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient" }),
      headers: { "content-type": "application/fhir+json; fhirVersion=3.0" },
    });
    expect(r3Body.status).toBe(415);
  });

  it("refuses malformed percent-encoding anywhere in the query with a 400", async () => {
    for (const path of [
      "/Patient?family=%ZZ",
      "/Patient/m1?_elements=%",
      "/Patient/_history?_since=%G1",
      "/Patient?family=%FF",
    ]) {
      const res = await json(path);
      expect(res.status, path).toBe(400);
      expect(res.body.resourceType).toBe("OperationOutcome");
    }
  });

  it("says in the Bundle that a _count above the maximum was reduced", async () => {
    const res = await json<{ entry: { resource: Outcome; search: { mode: string } }[] }>("/Patient?_count=5000");
    const outcome = res.body.entry.find((e) => e.search.mode === "outcome")!.resource;
    expect(outcome.issue).toEqual([
      {
        severity: "information",
        code: "informational",
        diagnostics: "_count=5000 was reduced to 1000, the most this server returns in one page",
      },
    ]);
  });
});
