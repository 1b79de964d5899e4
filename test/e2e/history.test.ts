import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

interface Entry {
  fullUrl: string;
  resource?: { resourceType: string; id: string; meta: { versionId: string; lastUpdated: string } };
  request: { method: string; url: string };
  response: { status: string; etag: string; lastModified: string };
}
interface HistoryBundle {
  resourceType: string;
  type: string;
  link: { relation: string; url: string }[];
  entry: Entry[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const patient = (family: string, id?: string) => ({
  resourceType: "Patient",
  ...(id ? { id } : {}),
  name: [{ family }],
});
const observation = (subject: string, value: number) => ({
  resourceType: "Observation",
  status: "final",
  code: { text: "weight" },
  subject: { reference: `Patient/${subject}` },
  valueQuantity: { value, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" },
});
/** "Type/id/version" of an entry, whatever kind of version it is. */
const key = (e: Entry) => `${e.fullUrl.split("/").slice(-2).join("/")}/${/"([0-9]+)"/.exec(e.response.etag)![1]}`;

describe("history at system, type and instance level; conditional reads; Prefer", () => {
  let server: TestServer;
  const get = async (path: string, init?: RequestInit) => {
    const res = await server.json<HistoryBundle>(path.replace(server.baseUrl, ""), init);
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    return res.body;
  };
  /** Follows next links to the end; returns every entry and the number of pages. */
  const all = async (path: string, between?: () => Promise<void>) => {
    const entries: Entry[] = [];
    let url: string | undefined = path;
    let pages = 0;
    while (url) {
      const b = await get(url);
      expect(b.type).toBe("history");
      entries.push(...(b.entry ?? []));
      url = b.link.find((l) => l.relation === "next")?.url;
      pages += 1;
      if (url && between) await between();
    }
    return { entries, pages };
  };
  const put = async (type: string, id: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await server.request(`/${type}/${id}`, { method: "PUT", body: JSON.stringify(body), headers });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return res;
  };
  const post = async (type: string, body: unknown) => {
    const res = await server.json<{ id: string; meta: { lastUpdated: string } }>(`/${type}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  // Timeline: t0 < h1..h3 created < tMid < h1 v2, h2 deleted, observations < tEnd
  let tMid = "";
  let tBeforeH1v2 = "";
  beforeAll(async () => {
    server = await startTestServer();
    await put("Patient", "h1", patient("One", "h1"));
    await put("Patient", "h2", patient("Two", "h2"));
    await put("Patient", "h3", patient("Three", "h3"));
    await sleep(20);
    tMid = new Date().toISOString();
    tBeforeH1v2 = tMid;
    await sleep(20);
    await put("Patient", "h1", patient("One-renamed", "h1"));
    expect((await server.request("/Patient/h2", { method: "DELETE" })).status).toBe(204);
    for (let i = 0; i < 5; i++) await post("Observation", observation("h1", 70 + i));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("type history lists every version of the type, newest first, deletes without a resource", async () => {
    const { entries } = await all("/Patient/_history");
    expect(entries.map(key)).toEqual(["Patient/h2/2", "Patient/h1/2", "Patient/h3/1", "Patient/h2/1", "Patient/h1/1"]);
    const del = entries[0]!;
    expect(del.resource).toBeUndefined();
    expect(del.request).toEqual({ method: "DELETE", url: "Patient/h2" });
    expect(del.response.status).toBe("204");
    expect(entries[1]!.request).toEqual({ method: "PUT", url: "Patient/h1" });
    expect(entries[1]!.resource!.meta.versionId).toBe("2");
    expect((entries[1]!.resource as unknown as { name: { family: string }[] }).name[0]!.family).toBe("One-renamed");
    // h1 was created by PUT at the client's id (update as create): history shows that PUT.
    expect(entries[4]!.request).toEqual({ method: "PUT", url: "Patient/h1" });
    expect(entries[4]!.response.status).toBe("201");
    const stamps = entries.map((e) => e.response.lastModified);
    expect([...stamps].sort().reverse()).toEqual(stamps);
  });

  it("_count pages with next links that carry the other parameters", async () => {
    const first = await get("/Patient/_history?_count=2");
    expect(first.entry).toHaveLength(2);
    expect((first as unknown as { total?: number }).total).toBeUndefined();
    const counted = await get("/Patient/_history?_count=2&_total=accurate");
    expect((counted as unknown as { total: number }).total).toBe(5);
    expect(counted.link.find((l) => l.relation === "next")!.url).toContain("_total=accurate");
    expect(((await get("/Patient/h1/_history")) as unknown as { total: number }).total).toBe(2);
    const next = first.link.find((l) => l.relation === "next")!.url;
    expect(next).toContain("_count=2");
    const { entries, pages } = await all("/Patient/_history?_count=2");
    expect(pages).toBe(3);
    expect(entries.map(key)).toEqual(["Patient/h2/2", "Patient/h1/2", "Patient/h3/1", "Patient/h2/1", "Patient/h1/1"]);
    const capped = await get("/Patient/_history?_count=5000");
    expect(capped.link.find((l) => l.relation === "self")!.url).toContain("_count=1000");
  });

  it("_since keeps the versions written at or after the instant", async () => {
    const { entries } = await all(`/Patient/_history?_since=${encodeURIComponent(tMid)}`);
    expect(entries.map(key)).toEqual(["Patient/h2/2", "Patient/h1/2"]);
    // (every request adds its AuditEvents to the system's history: left out here)
    const sys = await all(`/_history?_since=${encodeURIComponent(tMid)}&_count=3&_type=Patient,Observation`);
    expect(sys.entries.map(key).filter((k) => k.startsWith("Observation/"))).toHaveLength(5);
    expect(sys.entries).toHaveLength(7);
    expect(sys.pages).toBe(3);
  });

  it("_at returns the version current at that time", async () => {
    const inst = await all(`/Patient/h1/_history?_at=${encodeURIComponent(tBeforeH1v2)}`);
    expect(inst.entries.map(key)).toEqual(["Patient/h1/1"]);
    const type = await all(`/Patient/_history?_at=${encodeURIComponent(tMid)}`);
    expect(type.entries.map(key).sort()).toEqual(["Patient/h1/1", "Patient/h2/1", "Patient/h3/1"]);
    const now = await all(`/Patient/_history?_at=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(now.entries.map(key).sort()).toEqual(["Patient/h1/2", "Patient/h2/2", "Patient/h3/1"]);
    const before = await all("/Patient/_history?_at=1999-01-01");
    expect(before.entries).toEqual([]);
  });

  it("system history spans types and filters by _type", async () => {
    const { entries } = await all("/_history?_count=4");
    const types = new Set(entries.map((e) => key(e).split("/")[0]));
    expect(types).toEqual(new Set(["Patient", "Observation", "AuditEvent"])); // every request is audited
    const obs = await all("/_history?_type=Observation&_count=2");
    expect(obs.entries).toHaveLength(5);
    expect(obs.entries.every((e) => e.request.method === "POST" && e.resource?.resourceType === "Observation")).toBe(
      true,
    );
  });

  it("instance history honours _count and _since", async () => {
    const { entries, pages } = await all("/Patient/h1/_history?_count=1");
    expect(pages).toBe(2);
    expect(entries.map(key)).toEqual(["Patient/h1/2", "Patient/h1/1"]);
    const since = await all(`/Patient/h1/_history?_since=${encodeURIComponent(tMid)}`);
    expect(since.entries.map(key)).toEqual(["Patient/h1/2"]);
    expect((await server.request("/Patient/nope/_history")).status).toBe(404);
  });

  it("paging stays correct while writes continue: no duplicates, nothing older is missed, order kept", async () => {
    // (the AuditEvents of these very requests would join the history as it is paged: left out)
    const before = (await all("/_history?_count=1000&_type=Patient,Observation")).entries.map(key);
    let n = 0;
    const { entries } = await all("/_history?_count=3&_type=Patient,Observation", async () => {
      // Writes between pages: new versions of old resources and new resources.
      await put("Patient", "h3", patient(`Three-${n}`, "h3"));
      await post("Observation", observation("h3", 100 + n));
      n += 1;
    });
    expect(n).toBeGreaterThanOrEqual(3);
    const seen = entries.map(key);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(before);
    const stamps = entries.map((e) => e.response.lastModified);
    expect([...stamps].sort().reverse()).toEqual(stamps);
    const after = (await all("/_history?_count=1000&_type=Patient,Observation")).entries.map(key);
    expect(after.length).toBe(before.length + 2 * n);
  });

  it("rejects malformed history parameters with a 400 OperationOutcome", async () => {
    for (const q of [
      "_since=yesterday",
      "_at=2020-13-01",
      "_count=-1",
      "_count=abc",
      "_cursor=%%%",
      "_cursor=eyJ4IjoxfQ",
      "_since=2020&_since=2021",
    ]) {
      const res = await server.json<{ resourceType: string }>(`/Patient/_history?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.resourceType).toBe("OperationOutcome");
    }
    expect((await server.request("/Nope/_history")).status).toBe(404);
    expect((await server.request("/Patient/_history?_type=Observation")).status).toBe(400);
    // Ids that name operations fall through to their own routes.
    const verify = await server.json<{ issue: { diagnostics: string }[] }>("/Patient/$verify");
    expect(verify.status).toBe(404);
    expect(verify.body.issue[0]!.diagnostics).toMatch(/needs an instance/);
  });

  it("unknown history parameters are reported in the Bundle, or a 400 under Prefer: handling=strict, at every level", async () => {
    for (const path of ["/_history", "/Patient/_history", "/Patient/h1/_history"]) {
      const strict = await server.json<{ resourceType: string; issue: { code: string; expression?: string[] }[] }>(
        `${path}?_list=x`,
        { headers: { Prefer: "handling=strict" } },
      );
      expect(strict.status, path).toBe(400);
      expect(strict.body.resourceType).toBe("OperationOutcome");
      expect(strict.body.issue[0]).toMatchObject({ code: "not-supported", expression: ["_list"] });
      const lenient = await get(`${path}?_list=x`);
      const outcome = lenient.entry.at(-1) as unknown as {
        resource: { resourceType: string; issue: { diagnostics: string }[] };
        request: { method: string };
      };
      expect(outcome.resource.resourceType).toBe("OperationOutcome");
      expect(outcome.resource.issue[0]!.diagnostics).toContain("_list");
      expect(outcome.request.method).toBe("GET");
      expect((await server.request(`${path}?_count=2`, { headers: { Prefer: "handling=strict" } })).status).toBe(200);
    }
  });

  it("_count=0 is accepted as in search: no entries, only the total, at every level", async () => {
    type Counted = { total?: number; entry?: unknown[]; link: { relation: string }[] };
    const inst = (await get("/Patient/h1/_history?_count=0")) as unknown as Counted;
    // json.html: arrays are never empty, so no `entry` at all
    expect([inst.total, "entry" in inst, inst.link.map((l) => l.relation)]).toEqual([2, false, ["self"]]);
    const type = (await get("/Patient/_history?_count=0")) as unknown as Counted;
    expect(["entry" in type, type.link.map((l) => l.relation)]).toEqual([false, ["self"]]);
    // the same count _total=accurate gives (earlier tests add versions: at least the 5 of the timeline)
    expect(type.total).toBeGreaterThanOrEqual(5);
    expect(((await get("/Patient/_history?_count=0&_total=accurate")) as unknown as Counted).total).toBe(type.total);
    const system = (await get("/_history?_count=0")) as unknown as Counted;
    expect(system.total).toBeGreaterThanOrEqual(type.total! + 5);
    expect("entry" in system).toBe(false);
    // _total=none says it does not want the count
    expect(((await get("/Patient/_history?_count=0&_total=none")) as unknown as Counted).total).toBeUndefined();
  });

  it("leaves `entry` out of a history Bundle with no entries (json.html: no empty arrays)", async () => {
    for (const path of [
      "/Observation/_history?_since=2030-01-01T00:00:00Z",
      "/_history?_since=2030-01-01T00:00:00Z",
      "/Patient/h1/_history?_since=2030-01-01T00:00:00Z",
      "/Patient/_history?_at=1999-01-01",
    ]) {
      const body = (await get(path)) as unknown as Record<string, unknown>;
      expect("entry" in body, path).toBe(false);
      expect(body.type).toBe("history");
    }
  });

  it("If-None-Match answers 304 for the current version and 200 after a change", async () => {
    await put("Patient", "c1", patient("Cond", "c1"));
    const first = await server.request("/Patient/c1");
    expect(first.headers.get("etag")).toBe('W/"1"');
    const same = await server.request("/Patient/c1", { headers: { "If-None-Match": 'W/"1"' } });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe('W/"1"');
    expect(await same.text()).toBe("");
    expect((await server.request("/Patient/c1", { headers: { "If-None-Match": '"1"' } })).status).toBe(304);
    expect((await server.request("/Patient/c1", { headers: { "If-None-Match": 'W/"7", W/"1"' } })).status).toBe(304);
    expect((await server.request("/Patient/c1", { headers: { "If-None-Match": "*" } })).status).toBe(304);
    await put("Patient", "c1", patient("Cond2", "c1"));
    const changed = await server.request("/Patient/c1", { headers: { "If-None-Match": 'W/"1"' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toBe('W/"2"');
    expect((await server.request("/Patient/c1/_history/1", { headers: { "If-None-Match": 'W/"1"' } })).status).toBe(
      304,
    );
    expect((await server.request("/Patient/c1/_history/1", { headers: { "If-None-Match": 'W/"2"' } })).status).toBe(
      200,
    );
  });

  it("If-Modified-Since answers 304 when not modified since, 200 otherwise", async () => {
    const res = await server.request("/Patient/c1");
    const lastModified = res.headers.get("last-modified")!;
    expect((await server.request("/Patient/c1", { headers: { "If-Modified-Since": lastModified } })).status).toBe(304);
    expect(
      (
        await server.request("/Patient/c1", {
          headers: { "If-Modified-Since": new Date(Date.now() + 3_600_000).toUTCString() },
        })
      ).status,
    ).toBe(304);
    expect(
      (await server.request("/Patient/c1", { headers: { "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT" } }))
        .status,
    ).toBe(200);
    expect((await server.request("/Patient/c1", { headers: { "If-Modified-Since": "not a date" } })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since.
    expect(
      (
        await server.request("/Patient/c1", {
          headers: { "If-None-Match": 'W/"1"', "If-Modified-Since": lastModified },
        })
      ).status,
    ).toBe(200);
    // A deleted resource is still 410, whatever the headers say.
    expect((await server.request("/Patient/h2", { headers: { "If-None-Match": "*" } })).status).toBe(410);
  });

  it("Prefer: return=OperationOutcome answers create and update with an OperationOutcome", async () => {
    const created = await server.json<{ resourceType: string; issue: { severity: string; diagnostics: string }[] }>(
      "/Patient",
      {
        method: "POST",
        body: JSON.stringify(patient("Outcome")),
        headers: { Prefer: "return=OperationOutcome" },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.resourceType).toBe("OperationOutcome");
    expect(created.body.issue[0]!.severity).toBe("information");
    const location = created.headers.get("location")!;
    expect(location).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    const id = location.split("/").at(-3)!;
    expect(created.body.issue[0]!.diagnostics).toContain(`Patient/${id}`);
    const updated = await server.json<{ resourceType: string }>(`/Patient/${id}`, {
      method: "PUT",
      body: JSON.stringify(patient("Outcome2", id)),
      headers: { Prefer: "return=OperationOutcome" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.resourceType).toBe("OperationOutcome");
    expect(updated.headers.get("etag")).toBe('W/"2"');
    const representation = await server.json<{ resourceType: string }>(`/Patient/${id}`, {
      method: "PUT",
      body: JSON.stringify(patient("Outcome3", id)),
      headers: { Prefer: "return=representation" },
    });
    expect(representation.body.resourceType).toBe("Patient");
    // Errors stay errors.
    const bad = await server.json<{ resourceType: string; issue: { severity: string }[] }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", birthDate: "not-a-date" }),
      headers: { Prefer: "return=OperationOutcome" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0]!.severity).toBe("error");
  });
});
