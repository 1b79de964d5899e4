import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id: string };
interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry?: { fullUrl?: string; resource: R; search: { mode: string } }[];
}

/** 190 resources of two Synthea patients (shared with the search engine's oracle tests). */
const sample = JSON.parse(readFileSync(new URL("../fixtures/synthea-sample.json", import.meta.url), "utf8")) as R[];
const patients = sample.filter((r) => r.resourceType === "Patient");
const observations = sample.filter((r) => r.resourceType === "Observation") as (R & { subject: { reference: string }; code: { coding: { system: string; code: string }[] }; effectiveDateTime?: string })[];

describe("search over HTTP on real components", () => {
  let server: TestServer;
  const search = async (path: string, init?: RequestInit) => {
    const res = await server.json<Bundle>(path, init);
    expect(res.status, path).toBe(200);
    return res.body;
  };
  const ids = (b: Bundle, mode = "match") => (b.entry ?? []).filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  beforeAll(async () => {
    server = await startTestServer();
    for (const r of sample) {
      const res = await server.request(`/${r.resourceType}/${r.id}`, { method: "PUT", body: JSON.stringify(r) });
      expect(res.status, `${r.resourceType}/${r.id}`).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("patient + code returns exactly the matching Observations, with an exact total", async () => {
    const p = patients[0]!.id;
    const code = observations.find((o) => o.subject.reference === `Patient/${p}`)!.code.coding[0]!;
    const expected = observations.filter((o) => o.subject.reference === `Patient/${p}` && o.code.coding.some((c) => c.system === code.system && c.code === code.code)).map((o) => `Observation/${o.id}`).sort();
    expect(expected.length).toBeGreaterThan(0);
    const b = await search(`/Observation?patient=${p}&code=${encodeURIComponent(`${code.system}|${code.code}`)}&_count=100`);
    expect(b.type).toBe("searchset");
    expect(ids(b)).toEqual(expected);
    expect(b.total).toBe(expected.length);
  });

  it("patient + date range follows R4 date semantics", async () => {
    const p = patients[1]!.id;
    const inRange = (d?: string) => d !== undefined && Date.parse(d) >= Date.parse("2015-01-01T00:00:00Z") && Date.parse(d) < Date.parse("2019-01-01T00:00:00Z");
    const expected = observations.filter((o) => o.subject.reference === `Patient/${p}` && inRange(o.effectiveDateTime)).map((o) => `Observation/${o.id}`).sort();
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
    expect(ids(rev, "include")).toEqual(observations.filter((o) => o.subject.reference === `Patient/${p}`).map((o) => `Observation/${o.id}`).sort());
  });

  it("_summary=count, _elements, POST _search and deleted resources", async () => {
    const count = await search(`/Observation?_summary=count`);
    expect(count.total).toBe(observations.length);
    expect(count.entry).toBeUndefined();
    const el = await search(`/Observation?_elements=status&_count=3`);
    for (const e of el.entry!) {
      expect(Object.keys(e.resource).sort()).toEqual(["id", "meta", "resourceType", "status"]);
      expect(JSON.stringify(e.resource.meta)).toContain("SUBSETTED");
    }
    const p = patients[0]!.id;
    const viaPost = await server.json<Bundle>("/Observation/_search", { method: "POST", body: `patient=${p}&_count=500`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(viaPost.status).toBe(200);
    expect(ids(viaPost.body)).toEqual(observations.filter((o) => o.subject.reference === `Patient/${p}`).map((o) => `Observation/${o.id}`).sort());
    const victim = observations.find((o) => o.subject.reference === `Patient/${p}`)!;
    expect((await server.request(`/Observation/${victim.id}`, { method: "DELETE" })).status).toBe(204);
    const after = await search(`/Observation?patient=${p}&_count=500`);
    expect(ids(after)).not.toContain(`Observation/${victim.id}`);
    expect(after.total).toBe(ids(viaPost.body).length - 1);
  });

  it("reports unknown parameters, refuses them under handling=strict, and rejects malformed values with 400", async () => {
    const lenient = await search(`/Patient?frobnicate=1`);
    const outcome = lenient.entry!.find((e) => e.search.mode === "outcome")!.resource as unknown as { issue: { diagnostics: string }[] };
    expect(outcome.issue[0]!.diagnostics).toMatch(/frobnicate/);
    expect(lenient.total).toBe(patients.length);
    const strict = await server.json<{ resourceType: string }>(`/Patient?frobnicate=1`, { headers: { prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
    expect(strict.body.resourceType).toBe("OperationOutcome");
    for (const bad of ["/Observation?date=not-a-date", "/Observation?value-quantity=abc", "/Observation?_count=-1", `/Observation?code=${"x,".repeat(500)}`]) {
      const res = await server.json<{ resourceType: string }>(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.resourceType).toBe("OperationOutcome");
    }
  });
});
