import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../src/http/testSupport/rawRequest.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics?: string; expression?: string[] }[];
}
interface Searchset {
  resourceType: string;
  total?: number;
  entry?: { resource: Record<string, unknown> & { resourceType: string; id?: string }; search: { mode: string } }[];
}
type Resource = Record<string, unknown> & { resourceType: string; id: string };
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** What the audit of the HTTP edge found (https://hl7.org/fhir/R4/http.html), each as a user would notice it. */
describe("HTTP edge: search bodies, methods, formats, limits and malformed input", () => {
  let server: TestServer;
  const ids: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_MAX_COUNT: "50" } });
    for (const family of ["Mueller", "Mueller", "Other"]) {
      const res = await server.json<Resource>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", name: [{ family }] }),
      });
      ids.push(res.body.id);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });
  const matches = (body: Searchset) => (body.entry ?? []).filter((e) => e.search.mode === "match");

  it("POST [type]/_search takes parameters from the URL (empty body, no Content-Type) and from a form body, combined", async () => {
    const urlOnly = await server.json<Searchset>("/Patient/_search?family=mueller", { method: "POST" });
    expect(urlOnly.status).toBe(200);
    expect(urlOnly.body.total).toBe(2);
    const emptyJsonType = await server.json<Searchset>("/Patient/_search?family=mueller", {
      method: "POST",
      body: "",
      headers: { "content-type": "application/fhir+json" },
    });
    expect(emptyJsonType.status).toBe(200);
    expect(emptyJsonType.body.total).toBe(2);
    const combined = await server.json<Searchset>(`/Patient/_search?family=mueller`, {
      method: "POST",
      body: `_id=${ids[0]}`,
      headers: FORM,
    });
    expect(combined.status).toBe(200);
    expect(matches(combined.body).map((e) => e.resource.id)).toEqual([ids[0]]);
  });

  it("POST [type]/_search with a body that is not form-encoded is a 415 OperationOutcome, not a search of everything", async () => {
    for (const headers of [
      { "content-type": "application/fhir+json" },
      { "content-type": "application/json" },
      { "content-type": "text/plain" },
    ]) {
      const res = await server.json<Outcome>("/Patient/_search", { method: "POST", body: "{}", headers });
      expect(res.status, headers["content-type"]).toBe(415);
      expect(res.body.resourceType).toBe("OperationOutcome");
      expect(res.body.issue[0]!.diagnostics).toMatch(/x-www-form-urlencoded/);
    }
  });

  it("system-level search is answered alike over GET and POST (URL and form body)", async () => {
    const viaGet = await server.json<Searchset>(`/?_type=Patient&family=mueller`);
    const viaPost = await server.json<Searchset>("/_search?_type=Patient", {
      method: "POST",
      body: "family=mueller",
      headers: FORM,
    });
    for (const res of [viaGet, viaPost]) {
      expect(res.status).toBe(200);
      expect(res.body.resourceType).toBe("Bundle");
      expect(
        matches(res.body)
          .map((e) => e.resource.id)
          .sort(),
      ).toEqual([ids[0], ids[1]].sort());
    }
    expect(viaPost.body).toEqual(viaGet.body);
  });

  it("an unsupported method on a path that exists is a 405 with Allow and an OperationOutcome", async () => {
    const cases: [string, string, string[]][] = [
      ["POST", `/Patient/${ids[0]}`, ["GET", "PUT", "PATCH", "DELETE"]],
      ["OPTIONS", "/Patient", ["GET", "POST", "PUT", "PATCH", "DELETE"]],
      ["PUT", "/", ["POST"]],
      ["DELETE", "/metadata", ["GET"]],
      ["GET", "/Patient/$validate", ["POST"]],
      ["PUT", `/Patient/${ids[0]}/$verify`, ["GET", "POST"]],
      ["GET", "/Patient/_search", ["POST"]],
    ];
    for (const [method, path, allow] of cases) {
      const res = await server.request(path, { method, ...(method === "PUT" ? { body: "{}" } : {}) });
      expect(res.status, `${method} ${path}`).toBe(405);
      const allowed = (res.headers.get("allow") ?? "").split(",").map((m) => m.trim());
      for (const m of allow) expect(allowed, `${method} ${path}`).toContain(m);
      expect(allowed).not.toContain(method);
      const body = (await res.json()) as Outcome;
      expect(body.resourceType).toBe("OperationOutcome");
      expect(body.issue[0]!.code).toBe("not-supported");
    }
    expect((await server.request("/NoSuchType/x", { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("type-level Patient/$everything is answered, and GET $validate says what is supported instead of 'not a valid id'", async () => {
    const everything = await server.json<Searchset>("/Patient/$everything?_type=Patient");
    expect(everything.status).toBe(200);
    expect(matches(everything.body).map((e) => e.resource.id)).toEqual(expect.arrayContaining(ids));
    const validate = await server.json<Outcome>("/Patient/$validate");
    expect(validate.status).toBe(405);
    expect(validate.body.issue[0]!.diagnostics).toMatch(/POST/);
    expect(validate.body.issue[0]!.diagnostics).not.toMatch(/valid FHIR id/);
    const unknownOperation = await server.json<Outcome>("/Patient/$frobnicate");
    expect(unknownOperation.status).toBe(404);
    expect(unknownOperation.body.issue[0]!.diagnostics).toMatch(/\$frobnicate/);
  });

  it("_format written literally in a URL (its + decoded to a space) is FHIR JSON; XML and Turtle stay 406", async () => {
    for (const format of [
      "application/fhir+json",
      "application/fhir%2Bjson",
      "application/json+fhir",
      "application/json",
      "json",
    ]) {
      const res = await server.request(`/Patient?_format=${format}`);
      expect(res.status, format).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/application\/fhir\+json/);
    }
    const read = await server.request(`/Patient/${ids[0]}?_format=application/fhir+json`);
    expect(read.status).toBe(200);
    for (const format of ["application/fhir+xml", "xml", "application/xml", "text/turtle", "ttl"]) {
      expect((await server.request(`/Patient?_format=${format}`)).status, format).toBe(406);
    }
  });

  it("an Accept header naming another FHIR version is a 406; fhirVersion=4.0 is fine", async () => {
    const r3 = await server.json<Outcome>(`/Patient/${ids[0]}`, {
      headers: { accept: "application/fhir+json; fhirVersion=3.0" },
    });
    expect(r3.status).toBe(406);
    expect(r3.body.resourceType).toBe("OperationOutcome");
    expect(
      (await server.request("/Patient", { headers: { accept: "application/fhir+json; fhirVersion=3.0" } })).status,
    ).toBe(406);
    expect(
      (await server.request(`/Patient/${ids[0]}`, { headers: { accept: "application/fhir+json; fhirVersion=4.0" } }))
        .status,
    ).toBe(200);
    expect(
      (await server.request("/metadata", { headers: { accept: "application/fhir+json;fhirVersion=4.0" } })).status,
    ).toBe(200);
  });

  it("$validate refuses a profile it cannot validate against, and accepts the base R4 definition", async () => {
    const patient = JSON.stringify({ resourceType: "Patient", name: [{ family: "Valid" }] });
    const usCore = await server.json<Outcome>(
      "/Patient/$validate?profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
      { method: "POST", body: patient },
    );
    expect(usCore.status).toBe(400);
    expect(usCore.body.issue[0]!.code).toBe("not-supported");
    expect(usCore.body.issue[0]!.diagnostics).toMatch(/us-core-patient/);
    const inBody = await server.json<Outcome>("/Patient/$validate", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Parameters",
        parameter: [
          { name: "resource", resource: JSON.parse(patient) },
          { name: "profile", valueUri: "http://example.org/StructureDefinition/mine" },
        ],
      }),
    });
    expect(inBody.status).toBe(400);
    expect(inBody.body.issue[0]!.code).toBe("not-supported");
    const base = await server.json<Outcome>(
      "/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Patient",
      { method: "POST", body: patient },
    );
    expect(base.status).toBe(200);
    expect(base.body.issue[0]!.severity).toBe("information");
    const otherBase = await server.json<Outcome>(
      "/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Observation",
      { method: "POST", body: patient },
    );
    expect(otherBase.status).toBe(400);
  });

  it("the CapabilityStatement matches the server: operations it defines, includes, versioned-update", async () => {
    const { body } = await server.json<{
      contained?: Resource[];
      rest: {
        resource: {
          type: string;
          versioning: string;
          searchInclude?: string[];
          searchRevInclude?: string[];
          operation?: { name: string; definition: string }[];
        }[];
        operation?: { name: string; definition: string }[];
      }[];
    }>("/metadata");
    const rest = body.rest[0]!;
    const patient = rest.resource.find((r) => r.type === "Patient")!;
    const observation = rest.resource.find((r) => r.type === "Observation")!;
    expect(patient.versioning).toBe("versioned-update");
    const ops = new Map(patient.operation!.map((o) => [o.name, o.definition]));
    expect([...ops.keys()].sort()).toEqual(["break-glass", "erase", "everything", "validate", "verify"]);
    expect(ops.get("everything")).toBe("http://hl7.org/fhir/OperationDefinition/Patient-everything");
    expect(ops.get("validate")).toBe("http://hl7.org/fhir/OperationDefinition/Resource-validate");
    expect(observation.operation!.map((o) => o.name).sort()).toEqual(["validate", "verify"]);
    // Every definition this server names itself is in the statement or can be fetched from it.
    for (const definition of [...rest.resource.flatMap((r) => r.operation ?? []), ...(rest.operation ?? [])].map(
      (o) => o.definition,
    )) {
      if (definition.startsWith("http://hl7.org/fhir/")) continue;
      if (definition.startsWith("#")) {
        expect(
          body.contained?.some((c) => c.resourceType === "OperationDefinition" && c.id === definition.slice(1)),
          definition,
        ).toBe(true);
      } else {
        expect((await server.request(definition.replace(server.baseUrl, ""))).status, definition).toBe(200);
      }
    }
    expect(observation.searchInclude).toContain("Observation:subject");
    expect(observation.searchInclude).toContain("Observation:patient");
    expect(patient.searchRevInclude).toContain("Observation:subject");
    expect(patient.searchInclude).toContain("Patient:general-practitioner");
  });

  it("a URL longer than the header limit is a 414 with an OperationOutcome body, and the server keeps serving", async () => {
    const port = Number(new URL(server.baseUrl).port);
    const res = await rawRequest(
      port,
      `GET /Patient?family=${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${server.devToken}\r\n\r\n`,
    );
    expect(res.status).toBe(414);
    expect(res.head).toMatch(/content-type: application\/fhir\+json/i);
    const body = JSON.parse(res.body) as Outcome;
    expect(body.resourceType).toBe("OperationOutcome");
    expect(body.issue[0]!.code).toBe("too-long");
    const headers = await rawRequest(
      port,
      `GET /metadata HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
    );
    expect(headers.status).toBe(431);
    expect((JSON.parse(headers.body) as Outcome).resourceType).toBe("OperationOutcome");
    const garbage = await rawRequest(port, "NOT HTTP AT ALL\r\n\r\n");
    expect(garbage.status).toBe(400);
    expect((JSON.parse(garbage.body) as Outcome).resourceType).toBe("OperationOutcome");
    expect((await server.request("/metadata")).status).toBe(200);
  });

  it("a _count above the maximum is reduced and the Bundle says so in an information issue", async () => {
    const res = await server.json<Searchset>("/Patient?_count=100000");
    expect(res.status).toBe(200);
    const outcome = res.body.entry?.find((e) => e.search.mode === "outcome")?.resource as unknown as Outcome;
    expect(outcome.issue).toContainEqual(
      expect.objectContaining({ severity: "information", diagnostics: expect.stringMatching(/_count.*100000.*50/) }),
    );
    const small = await server.json<Searchset>("/Patient?_count=10");
    expect(small.body.entry?.some((e) => e.search.mode === "outcome")).toBe(false);
  });

  it("malformed percent-encoding in a URL or a form body is a 400 OperationOutcome", async () => {
    for (const path of [
      "/Patient?family=%ZZ",
      "/Patient?family=%E0%A4%A",
      "/Patient?fam%ily=x",
      `/Patient/${ids[0]}?_elements=%`,
      "/Patient/_history?_since=%G1",
    ]) {
      const res = await server.json<Outcome>(path);
      expect(res.status, path).toBe(400);
      expect(res.body.resourceType).toBe("OperationOutcome");
    }
    const form = await server.json<Outcome>("/Patient/_search", { method: "POST", body: "family=%ZZ", headers: FORM });
    expect(form.status).toBe(400);
    expect((await server.json<Searchset>("/Patient?family=m%C3%BCller")).status).toBe(200);
  });

  it("a FHIRPath Patch whose path does not parse is a 400 about the path, with no JavaScript internals", async () => {
    for (const expression of ["Patient..name", "Patient.(name)", "Patient.name..given"]) {
      const body = {
        resourceType: "Parameters",
        parameter: [
          {
            name: "operation",
            part: [
              { name: "type", valueCode: "delete" },
              { name: "path", valueString: expression },
            ],
          },
        ],
      };
      const res = await server.json<Outcome>(`/Patient/${ids[2]}`, { method: "PATCH", body: JSON.stringify(body) });
      expect(res.status, expression).toBe(400);
      expect(res.body.issue[0]!.expression).toEqual(["Parameters.parameter[0]"]);
      expect(res.body.issue[0]!.diagnostics).toMatch(/not valid FHIRPath/);
      expect(JSON.stringify(res.body)).not.toMatch(/Cannot read|undefined|reading/);
    }
  });
});
