import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheaSample } from "../support/fhirBundles.ts";
import type { R, Outcome, Searchset as Bundle } from "../support/fhirBundles.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const sample = syntheaSample();
const TAG = { system: "http://example.org/tags", code: "system-search" };
/** Written after the sample, at least a millisecond later: the second batch for `_lastUpdated`. */
const later: R[] = [
  { resourceType: "Patient", id: "late-patient", meta: { tag: [TAG] }, name: [{ family: "Late" }] },
  {
    resourceType: "Observation",
    id: "late-obs",
    meta: { tag: [TAG] },
    status: "final",
    code: { text: "late" },
    subject: { reference: "Patient/late-patient" },
  },
  { resourceType: "Organization", id: "late-org", meta: { tag: [TAG] }, name: "Late Org" },
  {
    resourceType: "AuditEvent",
    id: "late-audit",
    meta: { tag: [TAG] },
    type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110" },
    recorded: "2026-01-01T00:00:00Z",
    agent: [{ requestor: true, who: { display: "tester" } }],
    source: { observer: { display: "tester" } },
  },
];
const key = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;

describe("system-level search and type-level Patient/$everything over HTTP", () => {
  let server: TestServer;
  let between: string;
  const get = async <T = Bundle>(path: string, init?: RequestInit) => {
    const res = await server.json<T>(path, init);
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    return res.body;
  };
  const matches = (b: Bundle) => (b.entry ?? []).filter((e) => e.search.mode === "match").map((e) => key(e.resource));
  /** Follows next links from `path`; every page, in order. */
  const pages = async (path: string) => {
    const all: Bundle[] = [];
    let url: string | undefined = path;
    while (url !== undefined && all.length < 100) {
      const page: Bundle = await get(url);
      all.push(page);
      const next = page.link.find((l) => l.relation === "next")?.url;
      if (next !== undefined) expect(next.startsWith(server.baseUrl)).toBe(true);
      url = next?.slice(server.baseUrl.length);
    }
    return all;
  };

  beforeAll(async () => {
    // These tests count every resource of every type; with audit on, each request would add its
    // own AuditEvents to what they count (audit is tested in src/audit and test/e2e/audit*).
    server = await startTestServer({ env: { FHIRLEDGER_AUDIT: "off" } });
    await server.putAll(sample);
    await new Promise((resolve) => setTimeout(resolve, 5));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // AuditEvents are read-only over REST: the server writes them through the records pipeline.
    await server.putAll(later.filter((r) => r.resourceType !== "AuditEvent"));
    for (const audit of later.filter((r) => r.resourceType === "AuditEvent"))
      await server.records.writeAll([{ kind: "write", type: audit.resourceType, id: audit.id, resource: audit }]);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  describe("GET [base]?… and POST [base]/_search", () => {
    it("pages through every resource of every type, each once, with next links on the base URL", async () => {
      const all = await pages("/?_count=40");
      const expected = [...sample, ...later].map(key).sort();
      const seen = all.flatMap(matches);
      expect(seen.slice().sort()).toEqual(expected);
      expect(all.length).toBe(Math.ceil(expected.length / 40));
      for (const page of all) expect(page.total).toBe(expected.length);
      expect(all[0]!.link[0]).toEqual({ relation: "self", url: `${server.baseUrl}?_count=40` });
      expect(all[0]!.link[1]!.url).toMatch(
        new RegExp(`^${server.baseUrl.replace(/[.]/g, "\\.")}\\?_count=40&_cursor=`),
      );
      expect(seen).toContain("AuditEvent/late-audit");
    });

    it("restricts to the types _type names, across pages", async () => {
      const all = await pages("/?_type=Patient,Condition&_count=5&_total=accurate");
      const expected = [...sample, ...later]
        .filter((r) => r.resourceType === "Patient" || r.resourceType === "Condition")
        .map(key)
        .sort();
      expect(all.flatMap(matches).sort()).toEqual(expected);
      expect(all.length).toBeGreaterThan(1);
      expect(all[1]!.link[0]!.url).toContain("_type=Patient%2CCondition");
      const one = await get("/?_type=Encounter&_include=Encounter:subject&_count=3");
      expect(matches(one).every((k) => k.startsWith("Encounter/"))).toBe(true);
      expect(
        (one.entry ?? []).filter((e) => e.search.mode === "include").map((e) => e.resource.resourceType),
      ).toContain("Patient");
    });

    it("filters every type by _lastUpdated and _tag, and sorts across types by _lastUpdated", async () => {
      const recent = await get(`/?_lastUpdated=gt${encodeURIComponent(between)}&_count=100`);
      expect(matches(recent).sort()).toEqual(later.map(key).sort());
      const before = await get(`/?_lastUpdated=le${encodeURIComponent(between)}&_summary=count`);
      expect(before.total).toBe(sample.length);
      const tagged = await get(`/?_tag=${encodeURIComponent(`${TAG.system}|${TAG.code}`)}`);
      expect(matches(tagged).sort()).toEqual(later.map(key).sort());
      const newest = await get("/?_sort=-_lastUpdated&_count=4&_total=none");
      expect(matches(newest).sort()).toEqual(later.map(key).sort());
      expect(newest.total).toBeUndefined();
      const stamps = (newest.entry ?? []).map((e) => String((e.resource.meta as { lastUpdated: string }).lastUpdated));
      expect(stamps).toEqual([...stamps].sort().reverse());
    });

    it("is listed in the CapabilityStatement as the search-system interaction", async () => {
      const capability = await get<{ rest: { interaction?: { code: string }[] }[] }>("/metadata");
      expect(capability.rest[0]!.interaction?.map((i) => i.code)).toContain("search-system");
    });

    it("answers POST [base]/_search with a form body as GET [base]?…", async () => {
      const viaGet = await get("/?_type=Observation,Organization&_tag=system-search");
      const viaPost = await get("/_search", {
        method: "POST",
        body: "_type=Observation,Organization&_tag=system-search",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(matches(viaGet).sort()).toEqual(["Observation/late-obs", "Organization/late-org"]);
      expect(viaPost).toEqual(viaGet);
    });

    it("reports parameters not every type has in the Bundle, or refuses them under Prefer: handling=strict", async () => {
      const lenient = await get("/?family=late&_id=late-patient");
      expect(matches(lenient)).toEqual(["Patient/late-patient"]);
      const outcome = (lenient.entry ?? []).find((e) => e.search.mode === "outcome")!.resource as unknown as Outcome;
      expect(outcome.issue[0]).toMatchObject({
        severity: "warning",
        code: "not-supported",
        diagnostics: expect.stringContaining("family"),
      });
      const strict = await server.json<Outcome>("/?family=late", { headers: { prefer: "handling=strict" } });
      expect(strict.status).toBe(400);
      expect(strict.body.issue[0]).toMatchObject({ code: "not-supported", expression: ["family"] });
      const withType = await server.json<Bundle>("/?_type=Patient&family=late", {
        headers: { prefer: "handling=strict" },
      });
      expect(withType.status).toBe(200);
      expect(matches(withType.body)).toEqual(["Patient/late-patient"]);
      const badType = await server.json<Outcome>("/?_type=Patient,NoSuchType");
      expect(badType.status).toBe(400);
      expect(badType.body.issue[0]!.diagnostics).toMatch(/NoSuchType/);
    });
  });

  describe("GET Patient/$everything", () => {
    const patientIds = [...sample, ...later].filter((r) => r.resourceType === "Patient").map((r) => r.id);

    it("pages through every patient's everything: each patient's compartment once, the Patient first, patient after patient", async () => {
      const perPatient = new Map<string, string[]>();
      for (const id of patientIds) perPatient.set(id, matches(await get(`/Patient/${id}/$everything?_count=1000`)));
      const all = await pages("/Patient/$everything?_count=7&_total=accurate");
      const seen = all.flatMap(matches);
      const expectedCount = [...perPatient.values()].reduce((n, list) => n + list.length, 0);
      expect(seen.length).toBe(expectedCount);
      expect(new Set(seen).size).toBe(seen.length);
      expect(all.length).toBe(Math.ceil(expectedCount / 7));
      for (const page of all) expect(page.total).toBe(expectedCount);
      // Patient by patient: each patient's compartment is one contiguous run starting with the Patient.
      const runs: string[][] = [];
      for (const k of seen) {
        if (k.startsWith("Patient/")) runs.push([k]);
        else runs.at(-1)!.push(k);
      }
      expect(runs.map((run) => run[0]!.slice("Patient/".length)).sort()).toEqual([...patientIds].sort());
      for (const run of runs)
        expect(run.slice().sort()).toEqual(perPatient.get(run[0]!.slice("Patient/".length))!.slice().sort());
      // Shared resources come along as includes; links stay on Patient/$everything.
      expect(all.flatMap((p) => (p.entry ?? []).filter((e) => e.search.mode === "include"))).not.toHaveLength(0);
      expect(all[1]!.link[0]!.url).toMatch(/\/Patient\/\$everything\?_total=accurate&_count=7&_cursor=/);
    });

    it("filters with _type and _since, gives a total only under _total=accurate, and caps _count as the instance form does", async () => {
      const typed = (await pages("/Patient/$everything?_type=Observation,Condition&_count=50")).flatMap(matches);
      const expectedTyped = [...sample, ...later]
        .filter((r) => r.resourceType === "Observation" || r.resourceType === "Condition")
        .map(key)
        .sort();
      expect(typed.sort()).toEqual(expectedTyped);
      const since = await get(`/Patient/$everything?_since=${encodeURIComponent(between)}`);
      expect(matches(since).sort()).toEqual(["Observation/late-obs", "Patient/late-patient"]);
      expect(since.total).toBeUndefined();
      const capped = await get("/Patient/$everything?_count=5000");
      expect(capped.link[0]!.url).toContain("_count=1000");
    });

    it("refuses a cursor it did not make and _at, and reports parameters it ignores", async () => {
      expect((await server.request("/Patient/$everything?_cursor=bogus")).status).toBe(400);
      const instanceCursor = (await get(`/Patient/${patientIds[0]}/$everything?_count=1`)).link
        .find((l) => l.relation === "next")!
        .url.split("_cursor=")[1]!;
      expect((await server.request(`/Patient/$everything?_cursor=${instanceCursor}`)).status).toBe(400);
      expect((await server.request("/Patient/$everything?_at=2024")).status).toBe(400);
      const ignored = await get("/Patient/$everything?start=2020&_count=1");
      expect((ignored.entry ?? []).find((e) => e.search.mode === "outcome")).toBeDefined();
    });
  });
});
