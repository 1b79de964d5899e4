/**
 * Import benchmark: loads a folder of Synthea transaction bundles (information bundles first)
 * into a fresh server on the full pipeline (validation, encryption, Helia, SQLite with search
 * rows, anchoring on anvil) through the import CLI over HTTP, and prints resources/s, peak RSS
 * of the server process, per-type counts against the data's own counts, and then the latency
 * of typical searches and reads by id over the loaded data.
 *
 *   node bench/import.bench.ts ../shared/data/synthea-blaze [--concurrency 2] [--limit N]
 */
import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { loadConfig } from "../src/config/loadConfig.ts";
import { startServer } from "../src/server/startServer.ts";
import { percentile } from "./httpLoad.ts";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { concurrency: { type: "string", default: "2" }, limit: { type: "string" } } });
const source = resolve(positionals[0] ?? "../shared/data/synthea-blaze");
const all = (await readdir(source)).filter((f) => f.endsWith(".json.gz")).sort((a, b) => Number(!/information/i.test(a)) - Number(!/information/i.test(b)) || a.localeCompare(b));
const files = values.limit ? all.slice(0, Number(values.limit)) : all;

// The data's own counts, for comparison.
const expected: Record<string, number> = {};
for (const f of files) {
  const bundle = JSON.parse(gunzipSync(await readFile(join(source, f))).toString("utf8")) as { entry: { resource: { resourceType: string } }[] };
  for (const e of bundle.entry) expected[e.resource.resourceType] = (expected[e.resource.resourceType] ?? 0) + 1;
}
const total = Object.values(expected).reduce((a, b) => a + b, 0);

const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-import-bench-"));
const staging = await mkdtemp(join(tmpdir(), "fhirledger-import-src-"));
const server = await startServer(loadConfig({ FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_PORT: "0", FHIRLEDGER_CHAIN_PORT: "0", FHIRLEDGER_MAX_BODY_BYTES: String(256 * 1024 * 1024) }), () => {});
try {
  const { symlink } = await import("node:fs/promises");
  for (const f of files) await symlink(join(source, f), join(staging, f));
  // The importer runs in its own process, as an operator would run it: the RSS below is the server's.
  const { execFile } = await import("node:child_process");
  const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const t0 = performance.now();
  const { code, summary } = await new Promise<{ code: number; summary: string }>((resolveRun) => {
    execFile(process.execPath, [cli, "import", staging, `--url=${server.baseUrl}`, `--token=${server.devToken}`, "--concurrency", String(values.concurrency), "--state", join(dataDir, "import-state.json")], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      resolveRun({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, summary: stdout });
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await server.anchorer.flush();
  const drain = (performance.now() - t1) / 1000;

  const headers = { authorization: `Bearer ${server.devToken}` };
  const count = async (type: string) => ((await (await fetch(`${server.baseUrl}/${type}?_summary=count`, { headers })).json()) as { total: number }).total;
  console.log(`\nfhirledger import bench: ${files.length} bundles, ${total} resources from ${source}; Node ${process.version}\n`);
  console.log(summary.trim().split("\n")[0]);
  console.log(`import exit code ${code}; ${total} resources in ${seconds.toFixed(1)} s = ${(total / seconds).toFixed(0)} resources/s; anchoring drained ${drain.toFixed(1)} s later; server peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  console.log("\ntype                          in data   stored");
  for (const [type, n] of Object.entries(expected).sort((a, b) => b[1] - a[1])) console.log(`${type.padEnd(28)}${String(n).padStart(9)}${String(await count(type)).padStart(9)}`);

  // typical searches over the loaded data
  const patients = ((await (await fetch(`${server.baseUrl}/Patient?_count=200&_elements=id`, { headers })).json()) as { entry: { resource: { id: string } }[] }).entry.map((e) => e.resource.id);
  const queries = (pid: string) => [
    `/Observation?patient=${pid}&code=http://loinc.org|8867-4`,
    `/Observation?patient=${pid}&date=ge2015-01-01&date=lt2018-01-01`,
    `/Observation?code=http://loinc.org|8867-4&value-quantity=gt100`,
  ];
  console.log("\nsearch latency (sequential, 3 rounds over every patient):");
  const names = ["patient + code", "patient + date range", "code + value-quantity"];
  for (let q = 0; q < 3; q++) {
    const lat: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const pid of patients) {
        const s = performance.now();
        const res = await fetch(`${server.baseUrl}${queries(pid)[q]}`, { headers });
        await res.arrayBuffer();
        lat.push(performance.now() - s);
      }
    }
    lat.sort((a, b) => a - b);
    console.log(`  ${names[q]!.padEnd(24)} p50 ${percentile(lat, 50).toFixed(1)} ms  p95 ${percentile(lat, 95).toFixed(1)} ms  (${lat.length} requests)`);
  }
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
}
