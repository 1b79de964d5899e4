import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
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
    const bundle = JSON.parse(gunzipSync(readFileSync(join(fixtures, f))).toString("utf8")) as {
      entry: { resource: { resourceType: string } }[];
    };
    for (const e of bundle.entry) counts[e.resource.resourceType] = (counts[e.resource.resourceType] ?? 0) + 1;
  }
  return counts;
}

describe("fhirledger import", () => {
  let server: TestServer;
  let work: string;
  const output: string[] = [];
  const errors: string[] = [];
  const capture = async (fn: () => Promise<number>) => {
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string) => {
      output.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
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
    expect(output.join("")).toMatch(
      /imported 0 resources from 0 files .* 3 files already done; 0 files failed, 0 entries failed/,
    );
  });

  it("loads NDJSON (.gz) in batches and resumes after the lines already sent", async () => {
    const lines = Array.from({ length: 25 }, (_, i) =>
      JSON.stringify({ resourceType: "Basic", id: `nd-${i}`, code: { text: `line ${i}` } }),
    );
    const file = join(work, "basics.ndjson.gz");
    await writeFile(file, gzipSync(`${lines.join("\n")}\n`));
    const state = join(work, "nd-state.json");
    // as if an earlier run was interrupted after 10 lines
    await writeFile(state, JSON.stringify({ version: 1, done: {}, lines: { [file]: 10 } }));
    expect(
      await capture(() =>
        importCommand([
          file,
          "--url",
          server.baseUrl,
          `--token=${server.devToken}`,
          "--state",
          state,
          "--batch-size",
          "7",
        ]),
      ),
    ).toBe(0);
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(15);
    expect((await server.json(`/Basic/nd-9`)).status).toBe(404);
    expect((await server.json(`/Basic/nd-10`)).status).toBe(200);
    expect(
      await capture(() =>
        importCommand([file, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state, "--restart"]),
      ),
    ).toBe(0);
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(25);
  });

  it("exits 1 and reports failing entries; 2 for usage errors", async () => {
    const bad = join(work, "bad.ndjson");
    await writeFile(
      bad,
      `${JSON.stringify({ resourceType: "Basic", id: "ok-1", code: { text: "fine" } })}\n${JSON.stringify({ resourceType: "Basic", id: "bad-1", code: 42 })}\nnot json\n`,
    );
    output.length = 0;
    expect(
      await capture(() =>
        importCommand([bad, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", join(work, "s3.json")]),
      ),
    ).toBe(1);
    expect(output.join("")).toMatch(/1 files failed, 2 entries failed/);
    expect(output.join("")).toContain(`${bad}:2: 400`); // the line the server refused, by number
    expect(output.join("")).toContain(`${bad}:3: not JSON`);
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
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: patientUrl,
            resource: { resourceType: "Patient", name: [{ family }] },
            request: { method: "POST", url: "Patient" },
          },
          {
            fullUrl: `urn:uuid:${crypto.randomUUID()}`,
            resource: { resourceType: "Observation", status: "final", code, subject: { reference: patientUrl } },
            request: { method: "POST", url: "Observation" },
          },
        ],
      };
    };
    const code = { text: "pack test" };
    await writeFile(join(dir, "a.json"), JSON.stringify(patientBundle("PackA", code)));
    await writeFile(join(dir, "b.json.gz"), gzipSync(JSON.stringify(patientBundle("PackB", code))));
    // conditional create: never packed, sent alone
    await writeFile(
      join(dir, "c.json"),
      JSON.stringify({
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            resource: { resourceType: "Patient", name: [{ family: "PackC" }] },
            request: { method: "POST", url: "Patient", ifNoneExist: "family=PackC" },
          },
        ],
      }),
    );
    await writeFile(join(dir, "d.json"), JSON.stringify(patientBundle("PackD", code)));
    await writeFile(join(dir, "e.json"), JSON.stringify(patientBundle("PackE", 42))); // invalid: refuses the pack [d, e]
    await writeFile(join(dir, "f.json"), JSON.stringify(patientBundle("PackF", code)));
    output.length = 0;
    const args = [
      dir,
      "--url",
      server.baseUrl,
      `--token=${server.devToken}`,
      "--state",
      join(work, "pack-state.json"),
      "--concurrency",
      "1",
      "--pack",
      "4",
    ];
    expect(await capture(() => importCommand(args))).toBe(1);
    expect(output.join("")).toMatch(/imported 9 resources from 5 files .* 1 files failed, 2 entries failed/);
    expect(output.join("")).toContain("e.json: HTTP 400");
    const patient = async (family: string) =>
      (
        await server.json<{ total: number; entry?: { resource: { meta: { lastUpdated: string } } }[] }>(
          `/Patient?family:exact=${family}`,
        )
      ).body;
    for (const family of ["PackA", "PackB", "PackC", "PackD", "PackF"])
      expect((await patient(family)).total, family).toBe(1);
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
    const args = [
      dir,
      "--url",
      server.baseUrl,
      `--token=${server.devToken}`,
      "--state",
      join(work, "dec-state.json"),
      "--concurrency",
      "1",
      "--pack",
      "10",
    ];
    expect(await capture(() => importCommand(args))).toBe(0);
    const texts = async (query: string) => {
      const res = await fetch(`${server.baseUrl}/Observation?${query}`, {
        headers: { authorization: `Bearer ${server.devToken}` },
      });
      return res.text();
    };
    const created = await texts("code:text=decimal%20import&_count=10");
    expect(created).toContain('"value":105.00');
    expect(created).toContain('"value":1.50e2');
    expect(created).toContain('"value":0.10');
  });
  /** A transaction of one Patient and `observations` Observations about it, all plain creates. */
  const patientBundle = (family: string, observations: number, codeText: string) => {
    const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
    return {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: patientUrl,
          resource: { resourceType: "Patient", name: [{ family }] },
          request: { method: "POST", url: "Patient" },
        },
        ...Array.from({ length: observations }, () => ({
          fullUrl: `urn:uuid:${crypto.randomUUID()}`,
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { text: codeText },
            subject: { reference: patientUrl },
          },
          request: { method: "POST", url: "Observation" },
        })),
      ],
    };
  };
  const total = async (query: string) => (await server.json<{ total: number }>(`/${query}&_summary=count`)).body.total;

  it("stops at a refused token naming the URL, marks nothing done, and a re-run with the right token imports", async () => {
    const dir = join(work, "token");
    await mkdir(dir);
    await writeFile(join(dir, "a.json"), JSON.stringify(patientBundle("TokenA", 1, "token test")));
    await writeFile(
      join(dir, "b.ndjson"),
      `${JSON.stringify({ resourceType: "Basic", id: "token-nd", code: { text: "token" } })}\n`,
    );
    const state = join(work, "token-state.json");
    output.length = 0;
    errors.length = 0;
    expect(
      await capture(() => importCommand([dir, "--url", server.baseUrl, "--token", "wrongtoken", "--state", state])),
    ).toBe(1);
    expect(errors.join("")).toContain(`the server at ${server.baseUrl} refused the token (HTTP 401`);
    expect(JSON.parse(await readFile(state, "utf8")).done).toEqual({});
    output.length = 0;
    expect(
      await capture(() =>
        importCommand([dir, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state]),
      ),
    ).toBe(0);
    expect(output.join("")).toMatch(/imported 3 resources from 2 files .* 0 files already done; 0 files failed/);
    expect(await total("Patient?family:exact=TokenA")).toBe(1);
    expect((await server.json("/Basic/token-nd")).status).toBe(200);
  });

  it("stops when the server can't be reached, naming the URL", async () => {
    const file = join(work, "unreachable.json");
    await writeFile(file, JSON.stringify(patientBundle("Unreachable", 1, "unreachable")));
    errors.length = 0;
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    expect(
      await capture(() =>
        importCommand([
          file,
          "--url",
          `http://127.0.0.1:${port}/fhir?x=1`,
          "--token",
          "t",
          "--state",
          join(work, "unreachable-state.json"),
        ]),
      ),
    ).toBe(1);
    expect(errors.join("")).toContain(`cannot reach the server at http://127.0.0.1:${port}/fhir (ECONNREFUSED)`);
    await expect(
      importCommand([file, "--url", "http://user:secret@127.0.0.1:9/fhir", "--token", "t"]),
    ).rejects.toMatchObject({ code: "bad-request" });
  });

  it("reports malformed files by name, imports the good ones, and retries only what failed", async () => {
    const dir = join(work, "malformed");
    await mkdir(dir);
    await writeFile(join(dir, "a-good.json"), JSON.stringify(patientBundle("MalformedA", 2, "malformed test")));
    await writeFile(
      join(dir, "b-truncated.json"),
      JSON.stringify(patientBundle("MalformedB", 2, "malformed test")).slice(0, 100),
    );
    await writeFile(join(dir, "c-not-gzip.json.gz"), JSON.stringify(patientBundle("MalformedC", 2, "malformed test")));
    await writeFile(join(dir, "d-gzipped-garbage.json.gz"), gzipSync("{not json at all"));
    await writeFile(
      join(dir, "e-good.json.gz"),
      gzipSync(JSON.stringify(patientBundle("MalformedE", 2, "malformed test"))),
    );
    const state = join(work, "malformed-state.json");
    const args = [dir, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state];
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(1);
    const text = output.join("");
    expect(text).toMatch(/imported 6 resources from 2 files .* 3 files failed/);
    expect(text).toContain(`${join(dir, "b-truncated.json")}: not valid JSON`);
    expect(text).toContain(`${join(dir, "c-not-gzip.json.gz")}: cannot read`);
    expect(text).toContain(`${join(dir, "d-gzipped-garbage.json.gz")}: not valid JSON`);
    expect(await total("Observation?code:text=malformed%20test")).toBe(4);
    // the good files are done; the bad ones are tried again
    await writeFile(join(dir, "b-truncated.json"), JSON.stringify(patientBundle("MalformedB", 2, "malformed test")));
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(1);
    expect(output.join("")).toMatch(/imported 3 resources from 1 files .* 2 files already done; 2 files failed/);
    expect(await total("Observation?code:text=malformed%20test")).toBe(6);
  });

  it("retries an NDJSON file's failed lines only, once they are fixed", async () => {
    const file = join(work, "retry.ndjson");
    const ok = (n: number) => JSON.stringify({ resourceType: "Basic", code: { text: `ndjson retry ${n}` } }); // no id: a POST
    await writeFile(
      file,
      `${ok(1)}\n${JSON.stringify({ resourceType: "Basic", id: "retry-bad", code: 42 })}\n${ok(3)}\n`,
    );
    const args = [
      file,
      "--url",
      server.baseUrl,
      `--token=${server.devToken}`,
      "--state",
      join(work, "retry-state.json"),
      "--batch-size",
      "2",
    ];
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(1);
    expect(output.join("")).toContain(`${file}:2: 400`);
    await writeFile(
      file,
      `${ok(1)}\n${JSON.stringify({ resourceType: "Basic", id: "retry-bad", code: { text: "fixed" } })}\n${ok(3)}\n`,
    );
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(0);
    expect(output.join("")).toMatch(/imported 1 resources from 1 files/);
    expect((await server.json("/Basic/retry-bad")).status).toBe(200);
    for (const n of [1, 3]) expect(await total(`Basic?code:text=ndjson%20retry%20${n}`), `line ${n}`).toBe(1);
  });

  it("resumes exactly once: a run killed after the server committed sends its packs again without duplicating them", async () => {
    const dir = join(work, "once");
    await mkdir(dir);
    for (let i = 0; i < 7; i++)
      await writeFile(
        join(dir, `p${i}.json${i % 2 ? ".gz" : ""}`),
        i % 2
          ? gzipSync(JSON.stringify(patientBundle("Once", 3, "exactly once")))
          : JSON.stringify(patientBundle("Once", 3, "exactly once")),
      );
    const state = join(work, "once-state.json");
    const args = [dir, "--url", server.baseUrl, `--token=${server.devToken}`, "--state", state, "--pack", "8"];
    expect(await capture(() => importCommand(args))).toBe(0);
    expect(await total("Patient?family:exact=Once")).toBe(7);
    // As if killed after every commit but before any progress was saved: the progress file as
    // it was written before the first request (its import id, nothing done).
    const saved = JSON.parse(await readFile(state, "utf8")) as { done: Record<string, string> };
    expect(Object.keys(saved.done)).toHaveLength(7);
    await writeFile(state, JSON.stringify({ ...saved, done: {}, lines: {}, failedLines: {} }));
    output.length = 0;
    expect(await capture(() => importCommand(args))).toBe(0);
    expect(output.join("")).toMatch(/imported 28 resources from 7 files/); // answered from the server's receipts
    expect(await total("Patient?family:exact=Once")).toBe(7);
    expect(await total("Observation?code:text=exactly%20once")).toBe(21);
    // --restart is a new import: new keys, the data is sent again
    expect(await capture(() => importCommand([...args, "--restart"]))).toBe(0);
    expect(await total("Patient?family:exact=Once")).toBe(14);
  });

  it("sends a pack the server refuses as too large again bundle by bundle, and names a bundle too large alone", async () => {
    const small = await startTestServer({ env: { FHIRLEDGER_MAX_BODY_BYTES: String(64 * 1024) } });
    try {
      const dir = join(work, "too-large");
      await mkdir(dir);
      const padded = (family: string, n: number) => patientBundle(family, n, `too large ${"x".repeat(200)}`);
      await writeFile(join(dir, "a.json"), JSON.stringify(padded("LargeA", 80))); // ~40 KB each: together over 64 KiB
      await writeFile(join(dir, "b.json"), JSON.stringify(padded("LargeB", 80)));
      await writeFile(join(dir, "c.json"), JSON.stringify(padded("LargeC", 300))); // over 64 KiB alone
      output.length = 0;
      const args = [
        dir,
        "--url",
        small.baseUrl,
        `--token=${small.devToken}`,
        "--state",
        join(work, "large-state.json"),
        "--concurrency",
        "1",
      ];
      expect(await capture(() => importCommand(args))).toBe(1);
      const text = output.join("");
      expect(text).toMatch(/imported 162 resources from 2 files .* 1 files failed/);
      expect(text).toContain(`${join(dir, "c.json")}: HTTP 413`);
      expect(text).toContain("raise FHIRLEDGER_MAX_BODY_BYTES on the server");
    } finally {
      await small.close();
      await removeDir(small.dataDir);
    }
  });
});
