import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id?: string };
interface ResponseEntry {
  fullUrl?: string;
  resource?: R;
  response: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: Outcome };
}
interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string; expression?: string[] }[];
}
interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  entry?: ResponseEntry[];
}

const fixture = (name: string) =>
  JSON.parse(
    gunzipSync(readFileSync(new URL(`../fixtures/synthea-bundles/${name}`, import.meta.url))).toString("utf8"),
  ) as { type: string; entry: { fullUrl: string; resource: R; request: { method: string; url: string } }[] };

/** Every `reference` string anywhere in a resource. */
function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "reference" && typeof v === "string") out.push(v);
      else referencesIn(v, out);
    }
  }
  return out;
}

describe("batch and transaction bundles, conditional interactions, PATCH", () => {
  let server: TestServer;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    server.json<Bundle & Outcome>("/", { method: "POST", body: JSON.stringify(body), headers });
  const count = async (query: string) =>
    (await server.json<Bundle>(`/${query}${query.includes("?") ? "&" : "?"}_summary=count`)).body.total;
  const idOf = (location: string | undefined) =>
    /^([A-Za-z]+)\/([A-Za-z0-9\-.]+)\/_history\/\d+$/.exec(location ?? "")?.[2];

  beforeAll(async () => {
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  const observation = (subject: string, extra: Record<string, unknown> = {}) => ({
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
    subject: { reference: subject },
    ...extra,
  });

  it("transaction: urn:uuid references, also nested and in contained resources, become Type/id", async () => {
    const patientUrl = "urn:uuid:4f6b2a1e-0000-4000-8000-000000000001";
    const obsUrl = "urn:uuid:4f6b2a1e-0000-4000-8000-000000000002";
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: obsUrl,
          resource: observation(patientUrl, {
            performer: [{ reference: "#p1" }],
            contained: [{ resourceType: "Practitioner", id: "p1", name: [{ family: "Local" }] }],
          }),
          request: { method: "POST", url: "Observation" },
        },
        {
          fullUrl: patientUrl,
          resource: {
            resourceType: "Patient",
            id: "client-chosen",
            identifier: [{ system: "urn:test:tx1", value: "1" }],
          },
          request: { method: "POST", url: "Patient" },
        },
        {
          resource: observation(patientUrl, { hasMember: [{ reference: obsUrl }], focus: [{ reference: patientUrl }] }),
          request: { method: "POST", url: "Observation" },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("transaction-response");
    const entries = res.body.entry!;
    expect(entries.map((e) => e.response.status)).toEqual(["201 Created", "201 Created", "201 Created"]);
    expect(entries.every((e) => e.response.etag === 'W/"1"' && e.response.lastModified)).toBe(true);
    const patientId = idOf(entries[1]!.response.location)!;
    const firstObs = idOf(entries[0]!.response.location)!;
    expect(patientId).not.toBe("client-chosen");
    const second = await server.json<R>(`/Observation/${idOf(entries[2]!.response.location)}`);
    expect(second.body.subject).toEqual({ reference: `Patient/${patientId}` });
    expect(second.body.hasMember).toEqual([{ reference: `Observation/${firstObs}` }]);
    expect(second.body.focus).toEqual([{ reference: `Patient/${patientId}` }]);
    const first = await server.json<R>(`/Observation/${firstObs}`);
    expect(first.body.performer).toEqual([{ reference: "#p1" }]);
    expect((await server.json<R>(`/Patient/${patientId}`)).status).toBe(200);
    const bySubject = await server.json<Bundle>(`/Observation?subject=Patient/${patientId}`);
    expect(bySubject.body.total).toBe(2);
  });

  it("transaction: one invalid entry fails the whole with an outcome naming it, and stores nothing", async () => {
    const before = { obs: await count("Observation"), pat: await count("Patient") };
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl: "urn:uuid:aa", resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
        { resource: observation("urn:uuid:aa"), request: { method: "POST", url: "Observation" } },
        {
          resource: observation("urn:uuid:aa", { valueQuantity: { value: "seventy" } }),
          request: { method: "POST", url: "Observation" },
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(JSON.stringify(res.body.issue)).toContain("Bundle.entry[2]");
    expect(
      res.body.issue.flatMap((i) => i.expression ?? []).some((e) => e.startsWith("Bundle.entry[2].resource")),
    ).toBe(true);
    expect({ obs: await count("Observation"), pat: await count("Patient") }).toEqual(before);
  });

  it("transaction: an If-Match mismatch is a 412 and the other entries are not stored", async () => {
    const created = await server.json<R>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", active: true }),
    });
    const id = created.body.id!;
    const before = await count("Patient");
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Patient", active: true }, request: { method: "POST", url: "Patient" } },
        {
          resource: { resourceType: "Patient", id, active: false },
          request: { method: "PUT", url: `Patient/${id}`, ifMatch: 'W/"7"' },
        },
      ],
    });
    expect(res.status).toBe(412);
    expect(await count("Patient")).toBe(before);
    expect((await server.json<R>(`/Patient/${id}`)).body.active).toBe(true);
  });

  it("transaction: processing order, GET entries see the writes, and the same resource twice is refused", async () => {
    const victim = (
      await server.json<R>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:order", value: "old" }] }),
      })
    ).body.id!;
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { request: { method: "GET", url: "Patient?identifier=urn:test:order|new" } },
        {
          fullUrl: "urn:uuid:new",
          resource: { resourceType: "Patient", identifier: [{ system: "urn:test:order", value: "new" }] },
          request: { method: "POST", url: "Patient" },
        },
        { request: { method: "DELETE", url: `Patient/${victim}` } },
        { request: { method: "GET", url: `Patient/${victim}` } },
      ],
    });
    // the read sees the delete: a 410, which fails the whole transaction, so nothing is written
    expect(res.status).toBe(410);
    expect(res.body.issue[0]!.diagnostics).toContain("Bundle.entry[3]");
    expect((await server.json(`/Patient/${victim}`)).status).toBe(200);
    expect(await count("Patient?identifier=urn:test:order|new")).toBe(0);
    const ok = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { request: { method: "GET", url: "Patient?identifier=urn:test:order|new" } },
        {
          fullUrl: "urn:uuid:new",
          resource: { resourceType: "Patient", identifier: [{ system: "urn:test:order", value: "new" }] },
          request: { method: "POST", url: "Patient" },
        },
        { request: { method: "DELETE", url: `Patient/${victim}` } },
        { request: { method: "GET", url: `Patient/${victim}/_history/1` } },
      ],
    });
    expect(ok.status).toBe(200);
    const [search, created, deleted, read] = ok.body.entry!;
    expect(search!.response.status).toBe("200 OK");
    expect((search!.resource as unknown as Bundle).total).toBe(1);
    expect(created!.response.status).toBe("201 Created");
    expect(deleted!.response.status).toBe("204 No Content");
    expect(read!.response.status).toBe("200 OK");
    expect((await server.json(`/Patient/${victim}`)).status).toBe(410);
    const twice = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Patient", id: "same-1" }, request: { method: "PUT", url: "Patient/same-1" } },
        { request: { method: "DELETE", url: "Patient/same-1" } },
      ],
    });
    expect(twice.status).toBe(400);
    expect((await server.json(`/Patient/same-1`)).status).toBe(404);
  });

  it("batch: each entry stands alone; a bad one gets its own outcome and the rest are stored", async () => {
    const res = await post(
      {
        resourceType: "Bundle",
        type: "batch",
        entry: [
          {
            resource: { resourceType: "Patient", identifier: [{ system: "urn:test:batch", value: "1" }] },
            request: { method: "POST", url: "Patient" },
          },
          {
            resource: { resourceType: "Patient", birthDate: "yesterday" },
            request: { method: "POST", url: "Patient" },
          },
          {
            resource: { resourceType: "Patient", identifier: [{ system: "urn:test:batch", value: "2" }] },
            request: { method: "POST", url: "Patient" },
          },
          { request: { method: "GET", url: "Patient/does-not-exist" } },
          { request: { method: "POST", url: "NotAType" } },
          {
            fullUrl: "urn:uuid:b1",
            resource: { resourceType: "Patient" },
            request: { method: "POST", url: "Patient" },
          },
          { resource: observation("urn:uuid:b1"), request: { method: "POST", url: "Observation" } },
        ],
      },
      { prefer: "return=minimal" },
    );
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("batch-response");
    const statuses = res.body.entry!.map((e) => e.response.status);
    // batch entries are independent: a reference to another entry's fullUrl is refused
    expect(statuses).toEqual([
      "201 Created",
      "400 Bad Request",
      "201 Created",
      "404 Not Found",
      "400 Bad Request",
      "201 Created",
      "400 Bad Request",
    ]);
    expect(JSON.stringify(res.body.entry![6]!.response.outcome)).toContain("urn:uuid:b1");
    expect(res.body.entry![1]!.response.outcome!.resourceType).toBe("OperationOutcome");
    expect(JSON.stringify(res.body.entry![1]!.response.outcome)).toContain("Bundle.entry[1]");
    expect(await count("Patient?identifier=urn:test:batch|")).toBe(2);
    // the same ifNoneExist twice in one batch: the second sees the first
    const dup = {
      resource: { resourceType: "Patient", identifier: [{ system: "urn:test:batch", value: "dup" }] },
      request: { method: "POST", url: "Patient", ifNoneExist: "identifier=urn:test:batch|dup" },
    };
    const twice = await post({ resourceType: "Bundle", type: "batch", entry: [dup, dup] });
    expect(twice.body.entry!.map((e) => e.response.status)).toEqual(["201 Created", "200 OK"]);
    expect(await count("Patient?identifier=urn:test:batch|dup")).toBe(1);
  });

  it("Prefer: return=representation puts the stored resources in the entries; a read-only transaction works", async () => {
    const res = await post(
      {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: { resourceType: "Patient", gender: "other" }, request: { method: "POST", url: "Patient" } },
        ],
      },
      { prefer: "return=representation" },
    );
    const entry = res.body.entry![0]!;
    expect(entry.resource?.gender).toBe("other");
    expect(entry.resource?.meta).toMatchObject({ versionId: "1" });
    expect(entry.fullUrl).toBe(`${server.baseUrl}/Patient/${entry.resource?.id}`);
    const readOnly = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ request: { method: "GET", url: `Patient/${entry.resource?.id}` } }],
    });
    expect(readOnly.status).toBe(200);
    expect(readOnly.body.entry![0]!.resource?.id).toBe(entry.resource?.id);
  });

  it("refuses other Bundle types, non-Bundles and too many entries", async () => {
    expect((await post({ resourceType: "Bundle", type: "collection" })).status).toBe(400);
    expect((await post({ resourceType: "Patient" })).status).toBe(400);
    const many = {
      resourceType: "Bundle",
      type: "batch",
      entry: Array.from({ length: 10_001 }, () => ({ request: { method: "GET", url: "Patient/x" } })),
    };
    const res = await post(many);
    expect(res.status).toBe(413);
    expect(res.body.issue[0]!.diagnostics).toContain("10000");
  });

  it("conditional create (If-None-Exist): twice gives one resource; several matches are a 412", async () => {
    const body = JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cc", value: "42" }] });
    const first = await server.json<R>("/Patient", {
      method: "POST",
      body,
      headers: { "If-None-Exist": "identifier=urn:test:cc|42" },
    });
    const second = await server.json<R>("/Patient", {
      method: "POST",
      body,
      headers: { "If-None-Exist": "identifier=urn:test:cc|42" },
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(await count("Patient?identifier=urn:test:cc|42")).toBe(1);
    // the same in a transaction: the fullUrl maps to the existing resource
    const tx = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: "urn:uuid:cc",
          resource: JSON.parse(body),
          request: { method: "POST", url: "Patient", ifNoneExist: "identifier=urn:test:cc|42" },
        },
        { resource: observation("urn:uuid:cc"), request: { method: "POST", url: "Observation" } },
      ],
    });
    expect(tx.status).toBe(200);
    expect(tx.body.entry![0]!.response.status).toBe("200 OK");
    const obs = await server.json<R>(`/Observation/${idOf(tx.body.entry![1]!.response.location)}`);
    expect(obs.body.subject).toEqual({ reference: `Patient/${first.body.id}` });
    // the same conditional create twice in one transaction creates one resource
    const dup = {
      resource: { resourceType: "Patient", identifier: [{ system: "urn:test:cc", value: "dup" }] },
      request: { method: "POST", url: "Patient", ifNoneExist: "identifier=urn:test:cc|dup" },
    };
    const both = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { ...dup, fullUrl: "urn:uuid:d1" },
        { ...dup, fullUrl: "urn:uuid:d2" },
        { resource: observation("urn:uuid:d2"), request: { method: "POST", url: "Observation" } },
      ],
    });
    expect(both.body.entry!.map((e) => e.response.status)).toEqual(["201 Created", "200 OK", "201 Created"]);
    expect(await count("Patient?identifier=urn:test:cc|dup")).toBe(1);
    const dupId = idOf(both.body.entry![0]!.response.location);
    expect(both.body.entry![1]!.response.location).toBe(both.body.entry![0]!.response.location);
    expect((await server.json<R>(`/Observation/${idOf(both.body.entry![2]!.response.location)}`)).body.subject).toEqual(
      { reference: `Patient/${dupId}` },
    );
    await server.json("/Patient", { method: "POST", body });
    const several = await server.json("/Patient", {
      method: "POST",
      body,
      headers: { "If-None-Exist": "identifier=urn:test:cc|42" },
    });
    expect(several.status).toBe(412);
    const unknown = await server.json("/Patient", {
      method: "POST",
      body,
      headers: { "If-None-Exist": "no-such-param=1" },
    });
    expect(unknown.status).toBe(400);
  });

  it("conditional references resolve to the one match; none or several fail the transaction", async () => {
    const practitioner = (value: string) => ({
      resourceType: "Practitioner",
      identifier: [{ system: "urn:test:npi", value }],
    });
    const p1 = (await server.json<R>("/Practitioner", { method: "POST", body: JSON.stringify(practitioner("1")) })).body
      .id;
    const tx = (ref: string) =>
      post({
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            resource: {
              resourceType: "Encounter",
              status: "finished",
              class: { code: "AMB" },
              participant: [{ individual: { reference: ref } }],
            },
            request: { method: "POST", url: "Encounter" },
          },
        ],
      });
    const ok = await tx("Practitioner?identifier=urn:test:npi|1");
    expect(ok.status).toBe(200);
    const encounter = await server.json<R>(`/Encounter/${idOf(ok.body.entry![0]!.response.location)}`);
    expect(encounter.body.participant).toEqual([{ individual: { reference: `Practitioner/${p1}` } }]);
    const before = await count("Encounter");
    expect((await tx("Practitioner?identifier=urn:test:npi|none")).status).toBe(412);
    await server.json("/Practitioner", { method: "POST", body: JSON.stringify(practitioner("1")) });
    const ambiguous = await tx("Practitioner?identifier=urn:test:npi|1");
    expect(ambiguous.status).toBe(412);
    expect(JSON.stringify(ambiguous.body)).toContain("more than one");
    expect((await tx("Practitioner?bogus=1")).status).toBe(400);
    expect(await count("Encounter")).toBe(before);
  });

  it("conditional update and delete (PUT/DELETE [type]?criteria)", async () => {
    const put = (family: string) =>
      server.json<R>("/Patient?identifier=urn:test:cu|7", {
        method: "PUT",
        body: JSON.stringify({
          resourceType: "Patient",
          identifier: [{ system: "urn:test:cu", value: "7" }],
          name: [{ family }],
        }),
      });
    const created = await put("One");
    expect(created.status).toBe(201);
    const updated = await put("Two");
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.headers.get("etag")).toBe('W/"2"');
    const wrongId = await server.json("/Patient?identifier=urn:test:cu|7", {
      method: "PUT",
      body: JSON.stringify({ resourceType: "Patient", id: "other" }),
    });
    expect(wrongId.status).toBe(400);
    expect((await server.json("/Patient?identifier=urn:test:cu|7", { method: "DELETE" })).status).toBe(204);
    expect((await server.json(`/Patient/${created.body.id}`)).status).toBe(410);
    const none = await server.json<Outcome>("/Patient?identifier=urn:test:cu|7", { method: "DELETE" });
    expect(none.status).toBe(200);
    expect(none.body.resourceType).toBe("OperationOutcome");
    await put("A");
    await server.json("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cu", value: "7" }] }),
    });
    expect((await put("B")).status).toBe(412);
    expect((await server.json("/Patient", { method: "DELETE" })).status).toBe(400);
  });

  it("conditional delete removes every match at once (multiple), and nothing else", async () => {
    const create = async (value: string) =>
      (
        await server.json<R>("/Patient", {
          method: "POST",
          body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cdm", value }] }),
        })
      ).body.id!;
    const matched = [await create("1"), await create("1"), await create("1")];
    const bystander = await create("2");
    const res = await server.json<Outcome>("/Patient?identifier=urn:test:cdm|1", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(res.body.issue[0]!.diagnostics).toContain("deleted 3");
    for (const id of matched) expect((await server.json(`/Patient/${id}`)).status).toBe(410);
    const untouched = await server.json<R>(`/Patient/${bystander}`);
    expect(untouched.status).toBe(200);
    expect(untouched.headers.get("etag")).toBe('W/"1"');
    expect(await count("Patient?identifier=urn:test:cdm|1")).toBe(0);
    const metadata = await server.json<{ rest: { resource: { type: string; conditionalDelete?: string }[] }[] }>(
      "/metadata",
    );
    expect(metadata.body.rest[0]!.resource.find((r) => r.type === "Patient")!.conditionalDelete).toBe("multiple");
  });

  it("conditional delete inside bundles removes every match: with the transaction's other writes or not at all; alone in a batch entry", async () => {
    const create = async (value: string) =>
      (
        await server.json<R>("/Patient", {
          method: "POST",
          body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cdm-bundle", value }] }),
        })
      ).body.id!;
    const live = async (ids: string[]) =>
      Promise.all(ids.map(async (id) => (await server.json(`/Patient/${id}`)).status));
    const bystander = await create("other");
    const deleteEntry = { request: { method: "DELETE", url: "Patient?identifier=urn:test:cdm-bundle|1" } };

    const doomed = [await create("1"), await create("1"), await create("1")];
    const refused = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        deleteEntry,
        { resource: { resourceType: "Patient", birthDate: "yesterday" }, request: { method: "POST", url: "Patient" } },
      ],
    });
    expect(refused.status).toBe(400);
    expect(await live(doomed)).toEqual([200, 200, 200]);

    const tx = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        deleteEntry,
        {
          resource: { resourceType: "Patient", identifier: [{ system: "urn:test:cdm-bundle", value: "new" }] },
          request: { method: "POST", url: "Patient" },
        },
        { request: { method: "GET", url: "Patient?identifier=urn:test:cdm-bundle|1" } },
      ],
    });
    expect(tx.status).toBe(200);
    expect(tx.body.entry!.map((e) => e.response.status)).toEqual(["200 OK", "201 Created", "200 OK"]);
    expect(tx.body.entry![0]!.response.outcome!.issue[0]!.diagnostics).toContain("deleted 3 Patient resources");
    expect((tx.body.entry![2]!.resource as unknown as Bundle).total).toBe(0);
    expect(await live(doomed)).toEqual([410, 410, 410]);
    expect(await count("Patient?identifier=urn:test:cdm-bundle|new")).toBe(1);

    const again = [await create("1"), await create("1")];
    const batch = await post({
      resourceType: "Bundle",
      type: "batch",
      entry: [
        deleteEntry,
        { resource: { resourceType: "Patient", birthDate: "yesterday" }, request: { method: "POST", url: "Patient" } },
      ],
    });
    expect(batch.body.entry!.map((e) => e.response.status)).toEqual(["200 OK", "400 Bad Request"]);
    expect(batch.body.entry![0]!.response.outcome!.issue[0]!.diagnostics).toContain("deleted 2 Patient resources");
    expect(await live(again)).toEqual([410, 410]);
    const untouched = await server.json(`/Patient/${bystander}`);
    expect(untouched.headers.get("etag")).toBe('W/"1"');
  });

  it("PUT with If-None-Match: * creates only: an existing resource is a 412 and unchanged, also as a batch or transaction entry", async () => {
    const put = (id: string, family: string, headers: Record<string, string> = {}) =>
      server.json<R & Outcome>(`/Patient/${id}`, {
        method: "PUT",
        body: JSON.stringify({ resourceType: "Patient", id, name: [{ family }] }),
        headers,
      });
    expect((await put("s-p3", "Original")).status).toBe(201);
    const refused = await put("s-p3", "Overwritten", { "If-None-Match": "*" });
    expect(refused.status).toBe(412);
    expect(refused.body.resourceType).toBe("OperationOutcome");
    const kept = await server.json<R>("/Patient/s-p3");
    expect([kept.body.name, kept.headers.get("etag")]).toEqual([[{ family: "Original" }], 'W/"1"']);
    expect((await put("s-p3-new", "New", { "If-None-Match": "*" })).status).toBe(201);
    // If-Match: * on update: the resource must exist.
    expect((await put("s-p3", "Star", { "If-Match": "*" })).status).toBe(200);
    expect((await put("s-p3-none", "Star", { "If-Match": "*" })).status).toBe(412);
    expect((await server.json("/Patient/s-p3-none")).status).toBe(404);

    const entry = (id: string, family: string) => ({
      resource: { resourceType: "Patient", id, name: [{ family }] },
      request: { method: "PUT", url: `Patient/${id}`, ifNoneMatch: "*" },
    });
    const batch = await post({
      resourceType: "Bundle",
      type: "batch",
      entry: [entry("s-p3", "ViaBatch"), entry("s-p3-batch", "ViaBatch")],
    });
    expect(batch.body.entry!.map((e) => e.response.status)).toEqual(["412 Precondition Failed", "201 Created"]);
    const tx = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [entry("s-p3-tx", "ViaTx"), entry("s-p3", "ViaTx")],
    });
    expect(tx.status).toBe(412);
    expect((await server.json("/Patient/s-p3-tx")).status).toBe(404);
    expect((await server.json<R>("/Patient/s-p3")).body.name).toEqual([{ family: "Star" }]);
  });

  it("GET entries: ifNoneMatch on the current version and ifModifiedSince after lastModified answer 304 Not Modified", async () => {
    const created = await server.json<R>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", active: true }),
    });
    const id = created.body.id!;
    const lastModified = (created.body.meta as { lastUpdated: string }).lastUpdated;
    const later = new Date(Date.parse(lastModified) + 60_000).toISOString();
    const get = (request: Record<string, string>) => ({ request: { method: "GET", url: `Patient/${id}`, ...request } });
    for (const type of ["batch", "transaction"]) {
      const res = await post({
        resourceType: "Bundle",
        type,
        entry: [
          get({ ifNoneMatch: 'W/"1"' }),
          get({ ifNoneMatch: 'W/"9"' }),
          get({ ifModifiedSince: later }),
          get({ ifModifiedSince: "2000-01-01T00:00:00Z" }),
        ],
      });
      expect(res.status).toBe(200);
      expect(
        res.body.entry!.map((e) => e.response.status),
        type,
      ).toEqual(["304 Not Modified", "200 OK", "304 Not Modified", "200 OK"]);
      expect(res.body.entry![0]!.resource).toBeUndefined();
      expect(res.body.entry![0]!.response.etag).toBe('W/"1"');
      expect(res.body.entry![1]!.resource?.id).toBe(id);
    }
  });

  it("PATCH with JSON Patch: new version, If-Match, failed test 422, malformed 400, invalid result 422", async () => {
    const created = await server.json<R>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Before" }] }),
    });
    const id = created.body.id!;
    const patch = (ops: unknown, headers: Record<string, string> = {}) =>
      server.json<R & Outcome>(`/Patient/${id}`, {
        method: "PATCH",
        body: JSON.stringify(ops),
        headers: { "content-type": "application/json-patch+json", ...headers },
      });
    const ok = await patch([
      { op: "test", path: "/name/0/family", value: "Before" },
      { op: "replace", path: "/name/0/family", value: "After" },
      { op: "add", path: "/birthDate", value: "1970-01-01" },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body.name).toEqual([{ family: "After" }]);
    expect(ok.body.birthDate).toBe("1970-01-01");
    expect(ok.headers.get("etag")).toBe('W/"2"');
    expect((await server.json<R>(`/Patient/${id}`)).body.name).toEqual([{ family: "After" }]);
    expect((await patch([{ op: "add", path: "/active", value: true }], { "If-Match": 'W/"1"' })).status).toBe(412);
    expect((await patch([{ op: "add", path: "/active", value: true }], { "If-Match": 'W/"2"' })).status).toBe(200);
    expect((await patch([{ op: "test", path: "/name/0/family", value: "Before" }])).status).toBe(422);
    expect((await patch({ op: "add" })).status).toBe(400);
    expect((await patch([{ op: "add", path: "no-slash", value: 1 }])).status).toBe(400);
    const invalid = await patch([{ op: "replace", path: "/birthDate", value: "not a date" }]);
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).toContain("birthDate");
    expect((await patch([{ op: "replace", path: "/id", value: "other" }])).status).toBe(422);
    // a Parameters body is a FHIRPath Patch (test/e2e/patch.test.ts); a malformed one is a 400
    expect(
      (
        await patch(
          { resourceType: "Parameters", parameter: [{ name: "operation" }] },
          { "content-type": "application/fhir+json" },
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await server.json("/Patient/no-such-patient", {
          method: "PATCH",
          body: "[]",
          headers: { "content-type": "application/json-patch+json" },
        })
      ).status,
    ).toBe(404);
    expect((await server.json<R>(`/Patient/${id}`)).headers.get("etag")).toBe('W/"3"');
    // PATCH inside a transaction: a Binary carrying the JSON Patch
    const data = Buffer.from(JSON.stringify([{ op: "replace", path: "/name/0/family", value: "ViaBundle" }])).toString(
      "base64",
    );
    const tx = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          resource: { resourceType: "Binary", contentType: "application/json-patch+json", data },
          request: { method: "PATCH", url: `Patient/${id}` },
        },
      ],
    });
    expect(tx.status).toBe(200);
    expect(tx.body.entry![0]!.response.status).toBe("200 OK");
    expect((await server.json<R>(`/Patient/${id}`)).body.name).toEqual([{ family: "ViaBundle" }]);
  });

  it("transaction: a failing GET entry (404) fails the whole, answered with an outcome naming it, and nothing is written; a batch answers it in its entry", async () => {
    const entries = [
      {
        resource: { resourceType: "Patient", identifier: [{ system: "urn:test:txget", value: "1" }] },
        request: { method: "POST", url: "Patient" },
      },
      { resource: { resourceType: "Patient", id: "txa-get" }, request: { method: "PUT", url: "Patient/txa-get" } },
      { request: { method: "GET", url: "Patient/does-not-exist-xyz" } },
    ];
    const res = await post({ resourceType: "Bundle", type: "transaction", entry: entries });
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe("OperationOutcome");
    expect(res.body.issue[0]!.diagnostics).toContain("Bundle.entry[2] (GET Patient/does-not-exist-xyz)");
    expect((await server.json("/Patient/txa-get")).status).toBe(404);
    expect(await count("Patient?identifier=urn:test:txget|1")).toBe(0);
    const badSearch = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [entries[1], { request: { method: "GET", url: "Patient?birthdate=not-a-date" } }],
    });
    expect(badSearch.status).toBe(400);
    expect((await server.json("/Patient/txa-get")).status).toBe(404);
    const batch = await post({ resourceType: "Bundle", type: "batch", entry: entries });
    expect(batch.body.entry!.map((e) => e.response.status)).toEqual(["201 Created", "201 Created", "404 Not Found"]);
    expect((await server.json("/Patient/txa-get")).status).toBe(200);
  });

  it("transaction: a relative reference resolves against its entry's fullUrl base: to another entry it becomes the new id, otherwise it stays", async () => {
    const existing = (
      await server.json<R>("/Patient", { method: "POST", body: JSON.stringify({ resourceType: "Patient" }) })
    ).body.id!;
    for (const base of ["http://other.example/fhir", server.baseUrl]) {
      const res = await post({
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: `${base}/Patient/abc9`,
            resource: { resourceType: "Patient", name: [{ family: "Rel" }] },
            request: { method: "POST", url: "Patient" },
          },
          {
            fullUrl: `${base}/Observation/ob9`,
            resource: observation("Patient/abc9", { performer: [{ reference: `Patient/${existing}` }] }),
            request: { method: "POST", url: "Observation" },
          },
        ],
      });
      expect(res.status, base).toBe(200);
      const patientId = idOf(res.body.entry![0]!.response.location)!;
      expect(patientId).not.toBe("abc9");
      const obs = (await server.json<R>(`/Observation/${idOf(res.body.entry![1]!.response.location)}`)).body;
      expect(obs.subject, base).toEqual({ reference: `Patient/${patientId}` });
      expect(obs.performer, base).toEqual([{ reference: `Patient/${existing}` }]);
    }
    // urn:uuid fullUrls: a relative reference names the server's resource
    const urn = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: "urn:uuid:5d0c4b7e-0000-4000-8000-000000000001",
          resource: { resourceType: "Patient" },
          request: { method: "POST", url: "Patient" },
        },
        {
          fullUrl: "urn:uuid:5d0c4b7e-0000-4000-8000-000000000002",
          resource: observation(`Patient/${existing}`),
          request: { method: "POST", url: "Observation" },
        },
      ],
    });
    expect((await server.json<R>(`/Observation/${idOf(urn.body.entry![1]!.response.location)}`)).body.subject).toEqual({
      reference: `Patient/${existing}`,
    });
  });

  it("transaction: urn:uuid links in uri elements (attachment url, extension valueUri) and narrative href/src are replaced; string elements stay", async () => {
    const binary = "urn:uuid:5d0c4b7e-0000-4000-8000-0000000000b1";
    const pat = "urn:uuid:5d0c4b7e-0000-4000-8000-0000000000a1";
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: binary,
          resource: { resourceType: "Binary", contentType: "text/plain", data: "aGVsbG8=" },
          request: { method: "POST", url: "Binary" },
        },
        { fullUrl: pat, resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
        {
          resource: {
            resourceType: "DocumentReference",
            status: "current",
            text: {
              status: "generated",
              div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${pat}">patient</a><img src="${binary}"/></div>`,
            },
            extension: [{ url: "http://example.org/source", valueUri: pat }],
            identifier: [{ system: "urn:ietf:rfc:3986", value: binary }],
            subject: { reference: pat },
            content: [{ attachment: { contentType: "text/plain", url: binary } }],
          },
          request: { method: "POST", url: "DocumentReference" },
        },
      ],
    });
    expect(res.status).toBe(200);
    const [binaryId, patientId, docId] = res.body.entry!.map((e) => idOf(e.response.location));
    const doc = (
      await server.json<R & { content: { attachment: { url: string } }[]; text: { div: string } }>(
        `/DocumentReference/${docId}`,
      )
    ).body;
    expect(doc.content[0]!.attachment.url).toBe(`Binary/${binaryId}`);
    expect(doc.extension).toEqual([{ url: "http://example.org/source", valueUri: `Patient/${patientId}` }]);
    expect(doc.text.div).toBe(
      `<div xmlns="http://www.w3.org/1999/xhtml"><a href="Patient/${patientId}">patient</a><img src="Binary/${binaryId}"/></div>`,
    );
    expect(doc.identifier).toEqual([{ system: "urn:ietf:rfc:3986", value: binary }]);
    expect(doc.subject).toEqual({ reference: `Patient/${patientId}` });
  });

  it("transaction: a conditional reference matching only what the transaction's conditional delete removes fails it, and nothing is written", async () => {
    const id = (
      await server.json<R>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:test:cdref", value: "one" }] }),
      })
    ).body.id!;
    const res = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { request: { method: "DELETE", url: "Patient?identifier=urn:test:cdref|one" } },
        {
          resource: observation("Patient?identifier=urn:test:cdref|one", { code: { text: "cdref" } }),
          request: { method: "POST", url: "Observation" },
        },
      ],
    });
    expect(res.status).toBe(412);
    expect(res.body.issue[0]!.diagnostics).toContain("matches no resource");
    expect((await server.json(`/Patient/${id}`)).status).toBe(200);
    expect(await count("Observation?subject=Patient/" + id)).toBe(0);
  });

  it("Prefer: return=OperationOutcome gives each write entry an outcome about the write", async () => {
    const res = await post(
      {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } },
          {
            resource: { resourceType: "Patient", id: "prefer-oo" },
            request: { method: "PUT", url: "Patient/prefer-oo" },
          },
        ],
      },
      { prefer: "return=OperationOutcome" },
    );
    expect(res.status).toBe(200);
    const [created, put] = res.body.entry!;
    expect(created!.resource).toBeUndefined();
    expect(created!.response.outcome).toMatchObject({
      resourceType: "OperationOutcome",
      issue: [
        {
          severity: "information",
          code: "informational",
          diagnostics: `Patient/${idOf(created!.response.location)} created (version 1)`,
        },
      ],
    });
    expect(put!.response.outcome!.issue[0]!.diagnostics).toBe("Patient/prefer-oo created (version 1)");
    const minimal = await post({
      resourceType: "Bundle",
      type: "batch",
      entry: [{ resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } }],
    });
    expect(minimal.body.entry![0]!.response.outcome).toBeUndefined();
  });

  it("bad conditional criteria are a 400: an empty ifNoneExist value, a malformed %-escape in a conditional reference", async () => {
    const empty = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient", ifNoneExist: "_id=" } },
      ],
    });
    expect(empty.status).toBe(400);
    expect(empty.body.issue[0]!.diagnostics).toContain("_id no value");
    const badEscape = await post({
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: observation("Patient?family=%ZZ"), request: { method: "POST", url: "Observation" } }],
    });
    expect(badEscape.status).toBe(400);
    expect(badEscape.body.issue[0]!.diagnostics).toContain("malformed percent-encoding");
  });

  it("loads real Synthea bundles (information batches, then a patient transaction) with every reference resolved", async () => {
    const hospital = fixture("0-hospitalInformation1625911868739.json.gz");
    const practitioners = fixture("0-practitionerInformation1625911868739.json.gz");
    const patient = fixture("8a4c9c04-1524-9f1c-d65b-9b17e4520fef.json.gz");
    for (const info of [hospital, practitioners]) {
      const res = await post(info);
      expect(res.status).toBe(200);
      const statuses = res.body.entry!.map((e) => e.response.status);
      expect(
        statuses.filter((s) => !s.startsWith("201")),
        JSON.stringify(res.body.entry!.find((e) => !e.response.status.startsWith("201"))),
      ).toEqual([]);
    }
    // again: every ifNoneExist now matches, nothing new is created
    const organizations = await count("Organization");
    const again = await post(hospital);
    expect(again.body.entry!.every((e) => e.response.status === "200 OK")).toBe(true);
    expect(await count("Organization")).toBe(organizations);

    const res = await post(patient);
    expect(res.status, JSON.stringify(res.body).slice(0, 2000)).toBe(200);
    expect(res.body.entry!.every((e) => e.response.status === "201 Created")).toBe(true);
    const stored = await Promise.all(
      res.body.entry!.map(
        async (e) => (await server.json<R>(`/${e.response.location!.replace(/\/_history\/\d+$/, "")}`)).body,
      ),
    );
    const expectedTypes = patient.entry.map((e) => e.resource.resourceType);
    expect(stored.map((r) => r.resourceType)).toEqual(expectedTypes);
    const references = new Set(stored.flatMap((r) => referencesIn(r)).filter((ref) => !ref.startsWith("#")));
    expect(references.size).toBeGreaterThan(20);
    for (const ref of references) {
      expect(ref, "resolved to a relative reference").toMatch(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/);
      const [type, id] = ref.split("/") as [string, string];
      const row = await server.index.current(type, id);
      expect(row && !row.deleted, `${ref} exists`).toBeTruthy();
    }
  }, 120_000);
});
