/**
 * Import benchmark: loads a folder of Synthea transaction bundles (information bundles first)
 * into a fresh server on the full pipeline (validation, encryption, Helia, SQLite with search
 * rows, anchoring on anvil) through the import CLI over HTTP, and prints resources/s, peak RSS
 * of the server process, per-type counts against the data's own counts, the latency of
 * typical searches, and GET by id (autocannon, random order over every stored resource; a first
 * pass right after the import and a second on the warmed server).
 * With --copies N the same data is imported N times in all (new ids each time) and the same
 * searches are timed again: the slowdown as the data grows.
 *
 *   node bench/import.bench.ts ../shared/data/synthea-blaze [--concurrency 2] [--limit N] [--copies 4] [--reads 30000] [--pack 2500]
 */
import { readdir, readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { loadConfig } from "../src/config/loadConfig.ts";
import { silentLogger } from "../src/adapters/logging/silentLogger.ts";
import { startServer } from "../src/server/startServer.ts";
import { percentile } from "./httpLoad.ts";
import type { ReadLoadResult } from "./readLoad.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: "string", default: "2" },
    limit: { type: "string" },
    copies: { type: "string", default: "1" },
    reads: { type: "string", default: "30000" },
    pack: { type: "string", default: "2500" },
  },
});
const source = resolve(positionals[0] ?? "../shared/data/synthea-blaze");
const all = (await readdir(source))
  .filter((f) => f.endsWith(".json.gz"))
  .sort((a, b) => Number(!/information/i.test(a)) - Number(!/information/i.test(b)) || a.localeCompare(b));
const files = values.limit ? all.slice(0, Number(values.limit)) : all;

// The data's own counts, for comparison.
const expected: Record<string, number> = {};
for (const f of files) {
  const bundle = JSON.parse(gunzipSync(await readFile(join(source, f))).toString("utf8")) as {
    entry: { resource: { resourceType: string } }[];
  };
  for (const e of bundle.entry) expected[e.resource.resourceType] = (expected[e.resource.resourceType] ?? 0) + 1;
}
const total = Object.values(expected).reduce((a, b) => a + b, 0);

const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-import-bench-"));
const staging = await mkdtemp(join(tmpdir(), "fhirledger-import-src-"));
const server = await startServer(
  loadConfig({
    FHIRLEDGER_DATA_DIR: dataDir,
    FHIRLEDGER_PORT: "0",
    FHIRLEDGER_CHAIN_PORT: "0",
    FHIRLEDGER_MAX_BODY_BYTES: String(256 * 1024 * 1024),
  }),
  silentLogger,
);
/** Runs the import CLI in its own process, as an operator would run it: the RSS below is the server's. */
async function importOnce(): Promise<{ code: number; summary: string; seconds: number }> {
  const { execFile } = await import("node:child_process");
  const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const t0 = performance.now();
  const { code, summary } = await new Promise<{ code: number; summary: string }>((resolveRun) => {
    execFile(
      process.execPath,
      [
        cli,
        "import",
        staging,
        `--url=${server.baseUrl}`,
        `--token=${server.devToken}`,
        "--concurrency",
        String(values.concurrency),
        "--pack",
        String(values.pack),
        "--state",
        join(dataDir, "import-state.json"),
        "--restart",
      ],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        resolveRun({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, summary: stdout });
      },
    );
  });
  return { code, summary, seconds: (performance.now() - t0) / 1000 };
}

const headers = { authorization: `Bearer ${server.devToken}` };
// The last line is the third query without its exact total: the part of its time that does not
// grow with the number of matches (the total does; it is exact unless the client says otherwise).
const queryNames = ["patient + code", "patient + date range", "code + value-quantity", "  same, _total=none"];
const queries = (pid: string) => [
  `/Observation?patient=${pid}&code=http://loinc.org|8867-4`,
  `/Observation?patient=${pid}&date=ge2015-01-01&date=lt2018-01-01`,
  `/Observation?code=http://loinc.org|8867-4&value-quantity=gt100`,
  `/Observation?code=http://loinc.org|8867-4&value-quantity=gt100&_total=none`,
];

/** p50/p95 of each typical search, sequential, 3 rounds over the given patients. */
async function searchLatency(patients: string[]): Promise<{ p50: number; p95: number; n: number }[]> {
  const out = [];
  for (let q = 0; q < queries("x").length; q++) {
    const lat: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const pid of patients) {
        const s = performance.now();
        const res = await fetch(`${server.baseUrl}${queries(pid)[q]}`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`search failed: ${res.status}`);
        lat.push(performance.now() - s);
      }
    }
    lat.sort((a, b) => a - b);
    out.push({ p50: percentile(lat, 50), p95: percentile(lat, 95), n: lat.length });
  }
  return out;
}

/** GET by id over every stored resource, random order, autocannon in its own process. */
async function readById(amount: number): Promise<{ reads: ReadLoadResult; resources: number }> {
  const pathsFile = join(dataDir, "paths.json");
  // Only the count outlives the file: the 92k paths are the bench's, and kept alive during the
  // load they made the server's first scavenge copy them (a 50-90 ms pause counted as its p99).
  const resources = await writePaths(pathsFile);
  const { execFile } = await import("node:child_process");
  const script = new URL("./readLoad.ts", import.meta.url).pathname;
  return new Promise((resolveRun, reject) => {
    execFile(
      process.execPath,
      [
        script,
        "--base",
        server.baseUrl,
        `--token=${server.devToken}`,
        "--paths-file",
        pathsFile,
        "--amount",
        String(amount),
        "--connections",
        "16",
      ],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (error) reject(error);
        else resolveRun({ reads: JSON.parse(stdout.trim().split("\n").at(-1)!) as ReadLoadResult, resources });
      },
    );
  });
}

async function writePaths(file: string): Promise<number> {
  const paths = (
    server.index.db.prepare("SELECT type, id FROM resources WHERE deleted = 0").all() as { type: string; id: string }[]
  ).map((r) => `${r.type}/${r.id}`);
  await writeFile(file, JSON.stringify(paths));
  return paths.length;
}

const printLatency = (label: string, rows: { p50: number; p95: number; n: number }[]) => {
  console.log(`\n${label}`);
  rows.forEach((r, q) =>
    console.log(
      `  ${queryNames[q]!.padEnd(24)} p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  (${r.n} requests)`,
    ),
  );
};

try {
  const { symlink } = await import("node:fs/promises");
  for (const f of files) await symlink(join(source, f), join(staging, f));
  const first = await importOnce();
  const t1 = performance.now();
  await server.anchorer.flush();
  const drain = (performance.now() - t1) / 1000;

  const count = async (type: string) =>
    ((await (await fetch(`${server.baseUrl}/${type}?_summary=count`, { headers })).json()) as { total: number }).total;
  console.log(
    `\nfhirledger import bench: ${files.length} bundles, ${total} resources from ${source}; Node ${process.version}\n`,
  );
  console.log(first.summary.trim().split("\n")[0]);
  console.log(
    `import exit code ${first.code}; ${total} resources in ${first.seconds.toFixed(1)} s = ${(total / first.seconds).toFixed(0)} resources/s; anchoring drained ${drain.toFixed(1)} s later; server peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  console.log("\ntype                          in data   stored");
  for (const [type, n] of Object.entries(expected).sort((a, b) => b[1] - a[1]))
    console.log(`${type.padEnd(28)}${String(n).padStart(9)}${String(await count(type)).padStart(9)}`);

  const patients = (
    (await (await fetch(`${server.baseUrl}/Patient?_count=200&_elements=id`, { headers })).json()) as {
      entry: { resource: { id: string } }[];
    }
  ).entry.map((e) => e.resource.id);
  const base = await searchLatency(patients);
  printLatency("search latency (sequential, 3 rounds over every patient):", base);
  // Two passes: the first right after the import (SQLite's cache holds the pages the import
  // wrote, not those reads need; code not yet optimised), the second on the warmed server.
  for (const pass of ["first pass, right after the import", "second pass"]) {
    const { reads, resources } = await readById(Number(values.reads));
    console.log(
      `${pass === "second pass" ? "" : "\n"}GET by id over all ${resources} stored resources, random order, 16 connections (${pass}): ${reads.perSecond.toFixed(0)} req/s, p50 ${reads.p50} ms, p99 ${reads.p99} ms, ${reads.failures} failures (${reads.requests} requests)`,
    );
  }

  const copies = Number(values.copies);
  if (copies > 1) {
    // The same bundles again: POSTs with urn:uuid fullUrls get new ids each time; the
    // information bundles' conditional creates find what the first copy made.
    for (let copy = 2; copy <= copies; copy++) {
      const again = await importOnce();
      console.log(
        `copy ${copy}: exit code ${again.code}; ${total} resources in ${again.seconds.toFixed(1)} s = ${(total / again.seconds).toFixed(0)} resources/s`,
      );
    }
    await server.anchorer.flush();
    console.log(`Observations stored: ${await count("Observation")} (${copies}× ${expected.Observation ?? 0})`);
    const scaled = await searchLatency(patients);
    printLatency(`search latency at ${copies}× the data (the same patients and queries):`, scaled);
    console.log(`\nslowdown at ${copies}× (p95 ratio, target ≤ 1.5×):`);
    scaled.forEach((r, q) =>
      console.log(
        `  ${queryNames[q]!.padEnd(24)} ${(r.p95 / base[q]!.p95).toFixed(2)}×  (p50 ${(r.p50 / base[q]!.p50).toFixed(2)}×)`,
      ),
    );
  }
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
}
