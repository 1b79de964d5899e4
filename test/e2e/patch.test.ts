import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id?: string };
interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[];
}
type Part = Record<string, unknown>;

const operation = (type: string, ...parts: Part[]) => ({
  name: "operation",
  part: [{ name: "type", valueCode: type }, ...parts],
});
const path = (expression: string): Part => ({ name: "path", valueString: expression });
const value = (v: Part): Part => ({ name: "value", ...v });
const parameters = (...ops: unknown[]) => ({ resourceType: "Parameters", parameter: ops });

describe("PATCH with a FHIRPath Patch (a Parameters resource)", () => {
  let server: TestServer;
  const patch = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    server.json<R & Outcome>(url, {
      method: "PATCH",
      body: JSON.stringify(body),
      headers: { "content-type": "application/fhir+json", ...headers },
    });
  const create = async (resource: R) =>
    (await server.json<R>(`/${resource.resourceType}`, { method: "POST", body: JSON.stringify(resource) })).body;

  beforeAll(async () => {
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("applies every operation type as one new version, and honours If-Match", async () => {
    const { id } = await create({
      resourceType: "Patient",
      name: [{ family: "Before", given: ["Ann"] }],
      birthDate: "1950-05-05",
      identifier: [
        { system: "urn:test:fpp", value: "1" },
        { system: "urn:test:fpp", value: "2" },
      ],
    });
    const ok = await patch(
      `/Patient/${id}`,
      parameters(
        operation("replace", path("Patient.name.family"), value({ valueString: "After" })),
        operation(
          "add",
          path("Patient.name[0]"),
          { name: "name", valueString: "given" },
          value({ valueString: "Beth" }),
        ),
        operation("add", path("Patient"), { name: "name", valueString: "gender" }, value({ valueCode: "female" })),
        operation(
          "add",
          path("Patient"),
          { name: "name", valueString: "contact" },
          value({ part: [{ name: "name", valueHumanName: { text: "Next of kin" } }] }),
        ),
        operation(
          "insert",
          path("Patient.identifier"),
          { name: "index", valueInteger: 0 },
          value({ valueIdentifier: { system: "urn:test:fpp", value: "0" } }),
        ),
        operation(
          "move",
          path("Patient.identifier"),
          { name: "source", valueInteger: 2 },
          { name: "destination", valueInteger: 1 },
        ),
        operation("delete", path("Patient.birthDate")),
        operation("delete", path("Patient.deceased")),
      ),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('W/"2"');
    const expected = {
      name: [{ family: "After", given: ["Ann", "Beth"] }],
      gender: "female",
      contact: [{ name: { text: "Next of kin" } }],
      identifier: ["0", "2", "1"].map((v) => ({ system: "urn:test:fpp", value: v })),
    };
    expect(ok.body).toMatchObject(expected);
    expect(ok.body).not.toHaveProperty("birthDate");
    const read = await server.json<R>(`/Patient/${id}`);
    expect(read.body).toMatchObject({ ...expected, meta: { versionId: "2" } });

    const stale = await patch(
      `/Patient/${id}`,
      parameters(operation("replace", path("Patient.gender"), value({ valueCode: "male" }))),
      { "If-Match": 'W/"1"' },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe("OperationOutcome");
    const current = await patch(
      `/Patient/${id}`,
      parameters(operation("replace", path("Patient.gender"), value({ valueCode: "male" }))),
      { "If-Match": 'W/"2"', "content-type": "application/json" },
    );
    expect(current.status).toBe(200);
    expect(current.headers.get("etag")).toBe('W/"3"');
    expect(current.body.gender).toBe("male");
  });

  it("refuses a malformed or unsupported patch (400) and one that does not fit or gives an invalid resource (422), storing nothing", async () => {
    const { id } = await create({
      resourceType: "Patient",
      name: [{ family: "Kept" }],
      birthDate: "1960-06-06",
      identifier: [{ value: "a" }, { value: "b" }],
    });
    const before = await server.json<R>(`/Patient/${id}`);
    const bad: [unknown, number, string][] = [
      [{ resourceType: "Parameters", parameter: [{ name: "op" }] }, 400, "Parameters.parameter[0].name"],
      [parameters(operation("copy", path("Patient.name"))), 400, "Parameters.parameter[0].part[0]"],
      [
        parameters(operation("delete", path("Patient.managingOrganization.resolve().name"))),
        400,
        "Parameters.parameter[0]",
      ],
      [parameters(operation("delete", path("Patient.name.where("))), 400, "Parameters.parameter[0]"],
      [
        parameters(
          operation("delete", path("Patient.birthDate")),
          operation("replace", path("Patient.gender"), value({ valueCode: "male" })),
        ),
        422,
        "Parameters.parameter[1]",
      ],
      [
        parameters(operation("replace", path("Patient.identifier"), value({ valueIdentifier: { value: "c" } }))),
        422,
        "Parameters.parameter[0]",
      ],
      [
        parameters(
          operation(
            "insert",
            path("Patient.identifier"),
            { name: "index", valueInteger: 5 },
            value({ valueIdentifier: { value: "c" } }),
          ),
        ),
        422,
        "Parameters.parameter[0]",
      ],
      [
        parameters(operation("replace", path("Patient.birthDate"), value({ valueDate: "not a date" }))),
        422,
        "Patient.birthDate",
      ],
    ];
    for (const [body, status, expression] of bad) {
      const res = await patch(`/Patient/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.resourceType).toBe("OperationOutcome");
      expect(
        res.body.issue.flatMap((i) => i.expression ?? []).some((e) => e.includes(expression)),
        JSON.stringify(res.body),
      ).toBe(true);
    }
    expect(
      (await patch(`/Patient/${id}`, parameters(operation("replace", path("Patient.id"), value({ valueId: "other" })))))
        .status,
    ).toBe(422);
    expect(
      (await patch("/Patient/no-such-patient", parameters(operation("delete", path("Patient.birthDate"))))).status,
    ).toBe(404);
    const after = await server.json<R>(`/Patient/${id}`);
    expect(after.headers.get("etag")).toBe('W/"1"');
    expect(after.body).toEqual(before.body);
  });

  it("If-Match: * patches a current resource; a stale version stays a 412", async () => {
    const { id } = await create({ resourceType: "Patient", name: [{ family: "Star" }] });
    const ops = parameters(operation("replace", path("Patient.name.family"), value({ valueString: "Starred" })));
    const ok = await patch(`/Patient/${id}`, ops, { "If-Match": "*" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('W/"2"');
    expect((await patch(`/Patient/${id}`, ops, { "If-Match": 'W/"1"' })).status).toBe(412);
    expect((await patch("/Patient/no-such-star", ops, { "If-Match": "*" })).status).toBe(404);
  });

  it("conditional PATCH [type]?criteria applies a FHIRPath Patch to the one match", async () => {
    const { id } = await create({ resourceType: "Patient", identifier: [{ system: "urn:test:fpp-cond", value: "1" }] });
    const res = await patch(
      "/Patient?identifier=urn:test:fpp-cond|1",
      parameters(
        operation("add", path("Patient"), { name: "name", valueString: "active" }, value({ valueBoolean: true })),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, active: true });
  });

  it("in batch and transaction Bundles, a Parameters entry is a FHIRPath Patch: by id or criteria, urn:uuid values resolved, all or nothing", async () => {
    type Entry = { response: { status: string; location?: string; outcome?: Outcome } };
    const bundle = (type: string, ...entry: unknown[]) =>
      server.json<{ entry?: Entry[] } & Outcome>("/", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Bundle", type, entry }),
      });
    const patchEntry = (url: string, body: unknown) => ({ resource: body, request: { method: "PATCH", url } });
    const first = await create({ resourceType: "Patient", name: [{ family: "Before" }], birthDate: "1950-05-05" });
    const second = await create({
      resourceType: "Patient",
      identifier: [{ system: "urn:test:fpp-bundle", value: "2" }],
    });
    const tx = await bundle(
      "transaction",
      {
        fullUrl: "urn:uuid:6a0e4f2c-0000-4000-8000-00000000f001",
        resource: { resourceType: "Organization", name: "Clinic" },
        request: { method: "POST", url: "Organization" },
      },
      patchEntry(
        `Patient/${first.id}`,
        parameters(
          operation("replace", path("Patient.name.family"), value({ valueString: "After" })),
          operation(
            "add",
            path("Patient"),
            { name: "name", valueString: "managingOrganization" },
            value({ valueReference: { reference: "urn:uuid:6a0e4f2c-0000-4000-8000-00000000f001" } }),
          ),
        ),
      ),
      patchEntry(
        "Patient?identifier=urn:test:fpp-bundle|2",
        parameters(
          operation("add", path("Patient"), { name: "name", valueString: "active" }, value({ valueBoolean: true })),
        ),
      ),
    );
    expect(tx.status, JSON.stringify(tx.body)).toBe(200);
    expect(tx.body.entry!.map((e) => e.response.status)).toEqual(["201 Created", "200 OK", "200 OK"]);
    const organization = tx.body.entry![0]!.response.location!.split("/")[1];
    const patched = await server.json<R>(`/Patient/${first.id}`);
    expect(patched.headers.get("etag")).toBe('W/"2"');
    expect(patched.body).toMatchObject({
      name: [{ family: "After" }],
      managingOrganization: { reference: `Organization/${organization}` },
      birthDate: "1950-05-05",
    });
    expect((await server.json<R>(`/Patient/${second.id}`)).body).toMatchObject({
      active: true,
      meta: { versionId: "2" },
    });

    // one patch that does not fit fails the transaction with its 422, and nothing is written
    const failed = await bundle(
      "transaction",
      {
        resource: { resourceType: "Organization", identifier: [{ system: "urn:test:fpp-bundle", value: "never" }] },
        request: { method: "POST", url: "Organization" },
      },
      patchEntry(`Patient/${second.id}`, parameters(operation("delete", path("Patient.active")))),
      patchEntry(
        `Patient/${first.id}`,
        parameters(operation("replace", path("Patient.gender"), value({ valueCode: "male" }))),
      ),
    );
    expect(failed.status).toBe(422);
    expect(failed.body.resourceType).toBe("OperationOutcome");
    expect(JSON.stringify(failed.body.issue)).toContain("Bundle.entry[2]");
    expect(
      (await server.json<{ total: number }>("/Organization?identifier=urn:test:fpp-bundle|never")).body.total,
    ).toBe(0);
    expect((await server.json<R>(`/Patient/${second.id}`)).body).toMatchObject({
      active: true,
      meta: { versionId: "2" },
    });

    // in a batch, each entry gets its own answer
    const batch = await bundle(
      "batch",
      patchEntry(`Patient/${first.id}`, parameters(operation("delete", path("Patient.birthDate")))),
      patchEntry(`Patient/${second.id}`, { resourceType: "Parameters", parameter: [{ name: "op" }] }),
      patchEntry(
        "Patient?identifier=urn:test:fpp-bundle|none",
        parameters(operation("delete", path("Patient.active"))),
      ),
    );
    expect(batch.status).toBe(200);
    expect(batch.body.entry!.map((e) => e.response.status)).toEqual(["200 OK", "400 Bad Request", "404 Not Found"]);
    expect(batch.body.entry![1]!.response.outcome!.issue[0]!.expression).toEqual([
      "Bundle.entry[1].resource.parameter[0].name",
    ]);
    const afterBatch = await server.json<R>(`/Patient/${first.id}`);
    expect(afterBatch.headers.get("etag")).toBe('W/"3"');
    expect(afterBatch.body).not.toHaveProperty("birthDate");
    expect((await server.json<R>(`/Patient/${second.id}`)).headers.get("etag")).toBe('W/"2"');
  });

  it("refuses a patch format it does not take (JSON Merge Patch) with a 415 naming the formats it takes", async () => {
    const { id } = await create({ resourceType: "Patient", name: [{ family: "Merge" }] });
    for (const contentType of ["application/merge-patch+json", "text/plain"]) {
      const res = await server.json<Outcome>(`/Patient/${id}`, {
        method: "PATCH",
        body: JSON.stringify({ name: [{ family: "Merged" }] }),
        headers: { "content-type": contentType },
      });
      expect(res.status).toBe(415);
      expect(res.body.resourceType).toBe("OperationOutcome");
      const diagnostics = res.body.issue[0]!.diagnostics;
      expect(diagnostics).toContain("application/json-patch+json");
      expect(diagnostics).toContain("FHIRPath Patch");
      expect(diagnostics).toContain("application/fhir+json");
      expect(diagnostics).toContain(contentType);
      expect(diagnostics).not.toMatch(/send the resource/);
    }
    expect((await server.json<R>(`/Patient/${id}`)).body.name).toEqual([{ family: "Merge" }]);
  });

  it("lists FHIRPath Patch (application/fhir+json) among the patch formats", async () => {
    const metadata = await server.json<{ patchFormat?: string[] }>("/metadata");
    expect(metadata.body.patchFormat).toEqual(
      expect.arrayContaining(["application/json-patch+json", "application/fhir+json"]),
    );
  });
});
