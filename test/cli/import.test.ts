import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importCommand } from "../../src/cli/import.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const fixtures = fileURLToPath(new URL("../fixtures/synthea-bundles/", import.meta.url));

/** Per-type resource counts of the fixture bundles: the data's own counts. */
async function fixtureCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const f of (await readdir(fixtures)).filter((n) => n.endsWith(".json.gz"))) {
    const bundle = JSON.parse(gunzipSync(readFileSync(join(fixtures, f))).toString("utf8")) as { entry: { resource: { resourceType: string } }[] };
    for (const e of bundle.entry) counts[e.resource.resourceType] = (counts[e.resource.resourceType] ?? 0) + 1;
  }
  return counts;
}

describe("fhirledger import", () => {
  let server: TestServer;
  let work: string;
  const output: string[] = [];
  const capture = async (fn: () => Promise<number>) => {
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string) => { output.push(String(chunk)); return true; }) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      return await fn();
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
  };
  beforeAll(async () => {
    server = await startTestServer();
    work = await mkdtemp(join(tmpdir(), "fhirledger-import-"));
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
    await rm(work, { recursive: true, force: true });
  });

  it("loads Synthea bundles (information first) with every type count matching and every reference resolved", async () => {
    const state = join(work, "state.json");
    const args = [fixtures, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state];
    expect(await capture(() => importCommand(args))).toBe(0);
    const expected = await fixtureCounts();
    for (const [type, n] of Object.entries(expected)) {
      const { body } = await server.json<{ total: number }>(`/${type}?_summary=count`);
      // information bundles create with ifNoneExist: duplicates inside the data collapse
      expect(body.total, type).toBeLessThanOrEqual(n);
      expect(body.total, type).toBeGreaterThan(0);
    }
    expect((await server.json<{ total: number }>("/Patient?_summary=count")).body.total).toBe(expected.Patient);
    expect((await server.json<{ total: number }>("/Observation?_summary=count")).body.total).toBe(expected.Observation);
    // every reference of the patient's resources resolves to a stored resource
    const { body } = await server.json<{ entry: { resource: Record<string, unknown> }[] }>("/Observation?_count=500");
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "reference" && typeof x === "string") refs.add(x);
          else walk(x);
        }
      }
    };
    body.entry.forEach((e) => walk(e.resource));
    expect(refs.size).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref, "no unresolved urn: or conditional reference").toMatch(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/);
      expect((await server.json(`/${ref}`)).status, ref).toBe(200);
    }

    // resumable: a second run skips every finished file
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(0);
    expect(output.join("")).toMatch(/imported 0 resources from 0 files .* 3 files already done; 0 failed/);
  });

  it("loads NDJSON (.gz) in batches and resumes after the lines already sent", async () => {
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ resourceType: "Basic", id: `nd-${i}`, code: { text: `line ${i}` } }));
    const file = join(work, "basics.ndjson.gz");
    await writeFile(file, gzipSync(`${lines.join("\n")}\n`));
    const state = join(work, "nd-state.json");
    // as if an earlier run was interrupted after 10 lines
    await writeFile(state, JSON.stringify({ version: 1, done: {}, lines: { [file]: 10 } }));
    expect(await capture(() => importCommand([file, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state, "--batch-size", "7"]))).toBe(0);
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(15);
    expect((await server.json(`/Basic/nd-9`)).status).toBe(404);
    expect((await server.json(`/Basic/nd-10`)).status).toBe(200);
    expect(await capture(() => importCommand([file, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state, "--restart"]))).toBe(0);
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(25);
  });

  it("exits 1 and reports failing entries; 2 for usage errors", async () => {
    const bad = join(work, "bad.ndjson");
    await writeFile(bad, `${JSON.stringify({ resourceType: "Basic", id: "ok-1", code: { text: "fine" } })}\n${JSON.stringify({ resourceType: "Basic", id: "bad-1", code: 42 })}\nnot json\n`);
    output.length = 0;
    expect(await capture(() => importCommand([bad, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", join(work, "s3.json")]))).toBe(1);
    expect(output.join("")).toMatch(/2 failed/);
    expect((await server.json(`/Basic/ok-1`)).status).toBe(200);
    await expect(importCommand([bad, "--token", "x"])).rejects.toMatchObject({ code: "bad-request" });
  });

  it("packs plain transaction bundles into one transaction, and sends a refused pack again file by file", async () => {
    const dir = join(work, "packs");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir);
    const patientBundle = (family: string, code: unknown) => {
      const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
      return {
        resourceType: "Bundle", type: "transaction", entry: [
          { fullUrl: patientUrl, resource: { resourceType: "Patient", name: [{ family }] }, request: { method: "POST", url: "Patient" } },
          { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: { resourceType: "Observation", status: "final", code, subject: { reference: patientUrl } }, request: { method: "POST", url: "Observation" } },
        ],
      };
    };
    const code = { text: "pack test" };
    await writeFile(join(dir, "a.json"), JSON.stringify(patientBundle("PackA", code)));
    await writeFile(join(dir, "b.json.gz"), gzipSync(JSON.stringify(patientBundle("PackB", code))));
    // conditional create: never packed, sent alone
    await writeFile(join(dir, "c.json"), JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [{ resource: { resourceType: "Patient", name: [{ family: "PackC" }] }, request: { method: "POST", url: "Patient", ifNoneExist: "family=PackC" } }] }));
    await writeFile(join(dir, "d.json"), JSON.stringify(patientBundle("PackD", code)));
    await writeFile(join(dir, "e.json"), JSON.stringify(patientBundle("PackE", 42))); // invalid: refuses the pack [d, e]
    await writeFile(join(dir, "f.json"), JSON.stringify(patientBundle("PackF", code)));
    output.length = 0;
    const args = [dir, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", join(work, "pack-state.json"), "--concurrency", "1", "--pack", "4"];
    expect(await capture(() => importCommand(args))).toBe(1);
    expect(output.join("")).toMatch(/imported 9 resources from 6 files .* 2 failed/);
    expect(output.join("")).toContain("e.json: HTTP 400");
    const patient = async (family: string) => (await server.json<{ total: number; entry?: { resource: { meta: { lastUpdated: string } } }[] }>(`/Patient?family:exact=${family}`)).body;
    for (const family of ["PackA", "PackB", "PackC", "PackD", "PackF"]) expect((await patient(family)).total, family).toBe(1);
    expect((await patient("PackE")).total).toBe(0); // its transaction failed as a whole
    const committed = async (family: string) => (await patient(family)).entry![0]!.resource.meta.lastUpdated;
    // a and b went as one transaction (one commit, one lastUpdated); d was sent again alone after [d, e] was refused
    expect(await committed("PackA")).toBe(await committed("PackB"));
    expect(await committed("PackD")).not.toBe(await committed("PackF"));
  });

  it("sends decimals as the files wrote them, in packs and in NDJSON batches", async () => {
    const dir = join(work, "decimals");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir);
    const observation = (id: string, value: string) =>
      `{"resourceType":"Observation","id":"${id}","status":"final","code":{"text":"decimal import"},"valueQuantity":{"value":${value},"unit":"mg"}}`;
    // two packable transaction bundles (one pack) and an NDJSON file
    const bundle = (id: string, value: string) =>
      `{ "resourceType": "Bundle", "type": "transaction", "entry": [ {"fullUrl": "urn:uuid:${crypto.randomUUID()}", "resource": ${observation(id, value)}, "request": {"method": "POST", "url": "Observation"}} ] }`;
    await writeFile(join(dir, "a.json"), bundle("ignored-a", "105.00"));
    await writeFile(join(dir, "b.json"), bundle("ignored-b", "1.50e2"));
    await writeFile(join(dir, "c.ndjson"), `${observation("dec-nd", "0.10")}\n`);
    const args = [dir, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", join(work, "dec-state.json"), "--concurrency", "1", "--pack", "10"];
    expect(await capture(() => importCommand(args))).toBe(0);
    const texts = async (query: string) => {
      const res = await fetch(`${server.baseUrl}/Observation?${query}`, { headers: { authorization: `Bearer ${server.devToken}` } });
      return res.text();
    };
    const created = await texts("code:text=decimal%20import&_count=10");
    expect(created).toContain('"value":105.00');
    expect(created).toContain('"value":1.50e2');
    expect(created).toContain('"value":0.10');
  });
});
