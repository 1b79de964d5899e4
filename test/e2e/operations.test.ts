import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheaSample } from "../support/fhirBundles.ts";
import type { R, Outcome, Searchset } from "../support/fhirBundles.ts";
import { param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const sample = syntheaSample();
const patients = sample.filter((r) => r.resourceType === "Patient");
/** The independent expectation: the Patient and every resource whose subject or patient (Provenance: target) points at it. */
const refersTo = (r: R, patientId: string) =>
  [r.subject, r.patient, ...(r.resourceType === "Provenance" ? (r.target as unknown[]) : [])].some(
    (ref) => (ref as { reference?: string } | undefined)?.reference === `Patient/${patientId}`,
  );

describe("$validate and Patient/$everything", () => {
  let server: TestServer;
  // (every request adds its own AuditEvents: what $validate must not store is anything else)
  const counts = () =>
    server.index.db
      .prepare(
        "SELECT (SELECT COUNT(*) FROM resources WHERE type != 'AuditEvent') AS r, (SELECT COUNT(*) FROM versions v JOIN resources r ON r.rid = v.rid WHERE r.type != 'AuditEvent') AS v",
      )
      .get();

  beforeAll(async () => {
    server = await startTestServer();
    await server.putAll(sample, 8);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  const validate = async (path: string, body: unknown) => {
    const res = await server.json<Outcome>(path, { method: "POST", body: JSON.stringify(body) });
    return res;
  };

  it("$validate answers 200 information for a valid resource and stores nothing", async () => {
    const before = counts();
    const res = await validate("/Patient/$validate", {
      resourceType: "Patient",
      name: [{ family: "Valid" }],
      birthDate: "1980-02-29",
    });
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(res.body.issue).toEqual([expect.objectContaining({ severity: "information" })]);
    const wrapped = await validate("/Observation/$validate", {
      resourceType: "Parameters",
      parameter: [{ name: "resource", resource: sample.find((r) => r.resourceType === "Observation") }],
    });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.issue[0]!.severity).toBe("information");
    expect(counts()).toEqual(before);
  });

  it("$validate answers 200 with error issues naming the elements for an invalid resource", async () => {
    const before = counts();
    const res = await validate("/Patient/$validate", {
      resourceType: "Patient",
      birthDate: "29-02-1980",
      gender: 3,
      foo: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.issue.every((i) => i.severity === "error")).toBe(true);
    const expressions = res.body.issue.flatMap((i) => i.expression ?? []);
    expect(expressions.some((e) => e.includes("birthDate"))).toBe(true);
    expect(expressions.some((e) => e.includes("gender"))).toBe(true);
    const wrongType = await validate("/Patient/$validate", {
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
    });
    expect(wrongType.status).toBe(200);
    expect(wrongType.body.issue[0]!.severity).toBe("error");
    const missing = await validate("/Observation/$validate", { resourceType: "Observation", code: { text: "x" } });
    expect(
      missing.body.issue.some((i) => i.severity === "error" && (i.expression ?? []).some((e) => e.includes("status"))),
    ).toBe(true);
    expect(counts()).toEqual(before);
  });

  it("instance $validate checks the id against the URL, and mode=delete the resource's existence", async () => {
    const p = patients[0]!;
    const ok = await validate(`/Patient/${p.id}/$validate`, {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: p },
        { name: "mode", valueCode: "update" },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.issue[0]!.severity).toBe("information");
    const mismatch = await validate("/Patient/other-id/$validate", p);
    expect(mismatch.status).toBe(200);
    expect(mismatch.body.issue.some((i) => i.severity === "error" && i.diagnostics!.includes("does not match"))).toBe(
      true,
    );
    const del = await validate(`/Patient/${p.id}/$validate`, {
      resourceType: "Parameters",
      parameter: [{ name: "mode", valueCode: "delete" }],
    });
    expect(del.body.issue[0]!.severity).toBe("information");
    const delMissing = await validate("/Patient/not-there/$validate", {
      resourceType: "Parameters",
      parameter: [{ name: "mode", valueCode: "delete" }],
    });
    expect(delMissing.body.issue[0]!.code).toBe("not-found");
  });

  it("$validate refuses requests it cannot understand with a 4xx", async () => {
    expect(
      (
        await validate("/Patient/$validate", {
          resourceType: "Parameters",
          parameter: [{ name: "mode", valueCode: "create" }],
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await validate("/Patient/$validate", {
          resourceType: "Parameters",
          parameter: [
            { name: "resource", resource: {} },
            { name: "mode", valueCode: "bogus" },
          ],
        })
      ).status,
    ).toBe(400);
    expect((await validate("/Patient/$validate", [1, 2])).status).toBe(400);
    expect((await validate("/NotAType/$validate", { resourceType: "Patient" })).status).toBe(404);
    const notJson = await server.request("/Patient/$validate", { method: "POST", body: "{not json" });
    expect(notJson.status).toBe(400);
  });

  it("Patient/$everything returns the Patient and exactly the resources that refer to it", async () => {
    for (const p of patients) {
      const expected = [
        `Patient/${p.id}`,
        ...sample.filter((r) => refersTo(r, p.id)).map((r) => `${r.resourceType}/${r.id}`),
      ].sort();
      const res = await server.json<Searchset>(`/Patient/${p.id}/$everything?_count=1000`);
      expect(res.status).toBe(200);
      expect(res.body.type).toBe("searchset");
      const entries = (res.body.entry ?? []).filter((e) => e.search.mode === "match");
      expect(entries[0]!.resource.resourceType).toBe("Patient");
      // The shared resources they refer to come along as includes, once each, and no other patient's data.
      const included = (res.body.entry ?? [])
        .filter((e) => e.search.mode === "include")
        .map((e) => `${e.resource.resourceType}/${e.resource.id}`);
      expect(new Set(included).size).toBe(included.length);
      expect(new Set(included.map((k) => k.split("/")[0]))).toEqual(
        new Set(["Practitioner", "Organization", "Location"]),
      );
      const referencedHere = new Set(
        JSON.stringify(sample.filter((r) => r.id === p.id || refersTo(r, p.id)))
          .match(/"reference":"(Practitioner|Organization|Location)\/[^"]+"/g)!
          .map((m) => m.slice(13, -1)),
      );
      for (const k of included) expect(referencedHere.has(k), k).toBe(true);
      const got = entries.map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
      expect(got).toEqual(expected);
      expect(res.body.total).toBe(expected.length);
      // Resources come back decrypted and whole.
      const original = sample.find((r) => `${r.resourceType}/${r.id}` === got[1])!;
      const served = entries.find((e) => `${e.resource.resourceType}/${e.resource.id}` === got[1])!.resource;
      const { meta: _m, ...servedWithoutMeta } = served;
      const { meta: _o, ...originalWithoutMeta } = original;
      expect(servedWithoutMeta).toEqual(originalWithoutMeta);
    }
  });

  it("$everything pages with _count and filters with _type and _since", async () => {
    const p = patients[1]!;
    const expected = 1 + sample.filter((r) => refersTo(r, p.id)).length;
    const seen: string[] = [];
    let url: string | undefined = `/Patient/${p.id}/$everything?_count=7`;
    let pages = 0;
    while (url) {
      const res: { status: number; body: Searchset } = await server.json<Searchset>(url.replace(server.baseUrl, ""));
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(expected);
      seen.push(
        ...(res.body.entry ?? [])
          .filter((e) => e.search.mode === "match")
          .map((e) => `${e.resource.resourceType}/${e.resource.id}`),
      );
      url = res.body.link.find((l) => l.relation === "next")?.url;
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(expected / 7));
    expect(new Set(seen).size).toBe(expected);
    const obs = await server.json<Searchset>(`/Patient/${p.id}/$everything?_type=Observation,Condition&_count=1000`);
    const expectedObs = sample.filter(
      (r) => ["Observation", "Condition"].includes(r.resourceType) && refersTo(r, p.id),
    ).length;
    expect(obs.body.entry!.filter((e) => e.search.mode === "match").length).toBe(expectedObs);
    expect(
      obs.body.entry!.every(
        (e) => e.search.mode !== "match" || ["Observation", "Condition"].includes(e.resource.resourceType),
      ),
    ).toBe(true);
    const future = await server.json<Searchset>(
      `/Patient/${p.id}/$everything?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(future.body.total).toBe(0);
  });

  it("POST invokes $everything at both levels, with an empty body or a Parameters body, as GET does", async () => {
    const p = patients[1]!;
    const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.json<Searchset>(path, {
        method: "POST",
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const keys = (b: Searchset) =>
      (b.entry ?? [])
        .filter((e) => e.search.mode === "match")
        .map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    const viaGet = await server.json<Searchset>(`/Patient/${p.id}/$everything`);
    const empty = await post(`/Patient/${p.id}/$everything`);
    expect(empty.status, JSON.stringify(empty.body).slice(0, 300)).toBe(200);
    expect(keys(empty.body)).toEqual(keys(viaGet.body));
    expect(empty.body.total).toBe(viaGet.body.total);
    // an empty body with a Content-Type is no parameters too
    const emptyTyped = await post(`/Patient/${p.id}/$everything`, undefined, {
      "content-type": "application/fhir+json",
    });
    expect(keys(emptyTyped.body)).toEqual(keys(viaGet.body));

    const filtered = await post(`/Patient/${p.id}/$everything`, {
      resourceType: "Parameters",
      parameter: [
        { name: "_type", valueString: "Observation,Condition" },
        { name: "_count", valueInteger: 1000 },
      ],
    });
    expect(filtered.status).toBe(200);
    const viaGetFiltered = await server.json<Searchset>(
      `/Patient/${p.id}/$everything?_type=Observation,Condition&_count=1000`,
    );
    expect(keys(filtered.body)).toEqual(keys(viaGetFiltered.body));
    expect(keys(filtered.body).length).toBeGreaterThan(0);
    expect(keys(filtered.body).every((k) => k.startsWith("Observation/") || k.startsWith("Condition/"))).toBe(true);
    const future = await post(`/Patient/${p.id}/$everything`, {
      resourceType: "Parameters",
      parameter: [{ name: "_since", valueInstant: new Date(Date.now() + 60_000).toISOString() }],
    });
    expect(future.body.total).toBe(0);

    const all = await post("/Patient/$everything", {
      resourceType: "Parameters",
      parameter: [{ name: "_count", valueInteger: 3 }],
    });
    expect(all.status).toBe(200);
    expect(keys(all.body)).toEqual(keys((await server.json<Searchset>("/Patient/$everything?_count=3")).body));
    expect((await post("/Patient/$everything")).status).toBe(200);
    // Prefer: return=minimal is about writes: the operation's result is still sent
    const minimal = await post(`/Patient/${p.id}/$everything`, undefined, { prefer: "return=minimal" });
    expect(keys(minimal.body)).toEqual(keys(viaGet.body));
  });

  it("POST invokes $verify on the current version and on a version, with an empty body or a Parameters body", async () => {
    const p = patients[0]!;
    for (const path of [`/Patient/${p.id}/$verify`, `/Patient/${p.id}/_history/1/$verify`]) {
      const viaGet = await server.json<{ resourceType: string; parameter: { name: string }[] }>(path);
      expect(viaGet.status).toBe(200);
      for (const body of [undefined, { resourceType: "Parameters" }]) {
        const res = await server.json<{ resourceType: string; parameter: { name: string }[] }>(path, {
          method: "POST",
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status, `${path} ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
        expect(res.body.resourceType).toBe("Parameters");
        expect(param(res.body, "reference")).toBe(param(viaGet.body, "reference"));
        expect(param(res.body, "leafHash")).toBe(param(viaGet.body, "leafHash"));
      }
    }
  });

  it("POST operations refuse a body that is not a valid Parameters resource (400) or not JSON (415)", async () => {
    const p = patients[0]!;
    for (const path of [`/Patient/${p.id}/$everything`, "/Patient/$everything", `/Patient/${p.id}/$verify`]) {
      for (const [body, contentType, status] of [
        [JSON.stringify({ resourceType: "Patient", name: [{ family: "Not parameters" }] }), undefined, 400],
        [JSON.stringify({ resourceType: "Parameters", parameter: [{ name: 7 }] }), undefined, 400],
        [
          JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "_count", valueInteger: "x" }] }),
          undefined,
          400,
        ],
        [JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "_count", resource: p }] }), undefined, 400],
        [
          JSON.stringify({
            resourceType: "Parameters",
            parameter: [{ name: "_count", part: [{ name: "a", valueString: "b" }] }],
          }),
          undefined,
          400,
        ],
        [JSON.stringify([1, 2]), undefined, 400],
        ["{not json", undefined, 400],
        ["null", undefined, 400],
        ['"Parameters"', undefined, 400],
        ["_count=3", "application/x-www-form-urlencoded", 415],
      ] as const) {
        const res = await server.json<Outcome>(path, {
          method: "POST",
          body,
          ...(contentType === undefined ? {} : { headers: { "content-type": contentType } }),
        });
        expect(res.status, `${path} ${body}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(status);
        expect(res.body.resourceType).toBe("OperationOutcome");
      }
    }
    // $verify defines no input parameters: one sent is not silently dropped
    const unknown = await server.json<Outcome>(`/Patient/${p.id}/$verify`, {
      method: "POST",
      body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "depth", valueInteger: 3 }] }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issue[0]!.diagnostics).toContain("depth");
  });

  it("$everything of an unknown or deleted Patient is a 404/410", async () => {
    expect((await server.request("/Patient/unknown-patient/$everything")).status).toBe(404);
    await server.request("/Patient/gone-patient", {
      method: "PUT",
      body: JSON.stringify({ resourceType: "Patient", id: "gone-patient" }),
    });
    await server.request("/Patient/gone-patient", { method: "DELETE" });
    expect((await server.request("/Patient/gone-patient/$everything")).status).toBe(410);
    expect((await server.request(`/Patient/${patients[0]!.id}/$everything?_cursor=bogus`)).status).toBe(400);
  });
});
