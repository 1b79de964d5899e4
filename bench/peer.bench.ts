/**
 * Side-by-side benchmark: fhirledger against a peer engine, Medplum's FHIR router over its
 * in-memory repository (bench/medplumServer.ts), with the same load generators in the same
 * run. Each server runs in its own process; this process (and, for the concurrent phases,
 * bench/readLoad.ts and bench/createLoad.ts in processes of their own) drives the load over
 * loopback. Engines, one after the other, each on a fresh server:
 *
 *   fhirledger        the full pipeline (validation, encryption, Helia, SQLite, anchoring on anvil)
 *   Medplum           @medplum/fhir-router FhirRouter + MemoryRepository behind node:http
 *   fhirledger-memory fhirledger with the in-memory blob store and ledger adapters
 *
 * Phases, each bounded in count and in time (--phase-seconds):
 *   import   every Synthea bundle of the folder (*Information* first), POSTed to the base one at a time
 *   read     GET by id over every stored resource (ids from the transaction responses), random
 *            order, --connections keep-alive connections, --reads requests (autocannon)
 *   search   three patient-scoped searches, sequential, --rounds over the first --patients patients;
 *            each query stops after --search-seconds (the request under way finishes)
 *   create   --creates single Observation creates over --connections keep-alive connections (autocannon)
 *
 *   npm run bench:peer                                   # ../shared/data/synthea-blaze
 *   npm run bench:peer -- /path/to/synthea --limit 10    # the first 10 bundles only
 */
import { execFile, execFileSync, fork, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { type LoadResult, percentile } from "./httpLoad.ts";
import type { ReadLoadResult } from "./readLoad.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    limit: { type: "string" },
    reads: { type: "string", default: "30000" },
    creates: { type: "string", default: "3000" },
    connections: { type: "string", default: "32" },
    patients: { type: "string", default: "50" },
    rounds: { type: "string", default: "2" },
    "phase-seconds": { type: "string", default: "600" },
    "search-seconds": { type: "string", default: "60" },
    engines: { type: "string", default: "fhirledger,medplum,fhirledger-memory" },
  },
});
const source = resolve(positionals[0] ?? "../shared/data/synthea-blaze");
const connections = Number(values.connections);
const phaseMs = Number(values["phase-seconds"]) * 1000;
const searchMs = Number(values["search-seconds"]) * 1000;
const REQUEST_TIMEOUT_MS = 120_000;

type Engine = "fhirledger" | "medplum" | "fhirledger-memory";
const engineNames: Record<Engine, string> = {
  fhirledger: "fhirledger",
  medplum: "Medplum",
  "fhirledger-memory": "fhirledger (in-memory adapters)",
};

interface SearchFigure {
  p50: number;
  p95: number;
  n: number;
  /** Bundle.total for each patient of the first round, in import order: the same data should give the same totals */
  totals: number[];
}
interface EngineResult {
  engine: Engine;
  import: { bundles: number; resources: number; seconds: number; failedEntries: number; failedBundles: number };
  anchorDrainSeconds: number | null;
  read: ReadLoadResult;
  searches: SearchFigure[];
  create: LoadResult;
  peakRssMiB: number;
  /** 1-minute load average of the machine before and after this engine's run (other work on it shows here) */
  load: [number, number];
}

// --- the data -------------------------------------------------------------------------------
const all = (await readdir(source))
  .filter((f) => f.endsWith(".json.gz"))
  .sort((a, b) => Number(!/information/i.test(a)) - Number(!/information/i.test(b)) || a.localeCompare(b));
const files = values.limit ? all.slice(0, Number(values.limit)) : all;
if (files.length === 0) throw new Error(`no *.json.gz bundles in ${source}`);
// Read and unzipped once, before any server starts: the import phase times the servers, not gunzip.
const bodies = await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(source, f))).toString("utf8")));
const totalEntries = bodies.reduce((n, b) => n + (JSON.parse(b) as { entry?: unknown[] }).entry!.length, 0);

// --- server processes -----------------------------------------------------------------------
interface ServerHandle {
  child: ChildProcess;
  baseUrl: string;
  token: string;
  ask<T>(type: string, answer: string): Promise<T>;
}

async function startEngine(engine: Engine): Promise<ServerHandle> {
  const script = engine === "medplum" ? "./medplumServer.ts" : "./fhirledgerServer.ts";
  const args = engine === "fhirledger-memory" ? ["--mode", "memory"] : [];
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ask = <T>(type: string, answer: string) =>
    new Promise<T>((resolveAsk, reject) => {
      const timer = setTimeout(() => reject(new Error(`${engine}: no ${answer} within ${phaseMs} ms`)), phaseMs);
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type !== answer && m.type !== "error") return;
        child.off("message", onMessage);
        clearTimeout(timer);
        if (m.type === "error") reject(new Error(`${engine}: ${m.message}`));
        else resolveAsk(m as T);
      };
      child.on("message", onMessage);
      if (type) child.send({ type });
    });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`${engine} server exited (code ${code}) before it was ready`))),
  );
  const ready = await Promise.race([ask<{ baseUrl: string; token?: string }>("", "ready"), exited]);
  return { child, baseUrl: ready.baseUrl.replace(/\/$/, ""), token: ready.token ?? "none", ask };
}

async function stopEngine(server: ServerHandle): Promise<void> {
  const exited = new Promise<void>((resolveExit) => server.child.once("exit", () => resolveExit()));
  server.child.send({ type: "stop" });
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a load generator script in its own process, bounded by the phase time; its last stdout line is JSON. */
function runScript<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolveRun, reject) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(script, import.meta.url)), ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: phaseMs, killSignal: "SIGKILL" },
      (error, stdout) => {
        if (error) reject(new Error(`${script} failed or ran over ${phaseMs / 1000} s: ${error.message}`));
        else resolveRun(JSON.parse(stdout.trim().split("\n").at(-1)!) as T);
      },
    );
  });
}

// --- phases ---------------------------------------------------------------------------------
const LOCATION = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** POSTs every bundle to the base, one at a time; returns the figures and the `Type/id` of every stored resource. */
async function importPhase(server: ServerHandle): Promise<{ figures: EngineResult["import"]; paths: string[] }> {
  const headers = {
    authorization: `Bearer ${server.token}`,
    "content-type": "application/fhir+json",
    accept: "application/fhir+json",
  };
  const paths: string[] = [];
  let resources = 0;
  let failedEntries = 0;
  let failedBundles = 0;
  let sent = 0;
  const t0 = performance.now();
  for (const body of bodies) {
    if (performance.now() - t0 > phaseMs) break;
    sent++;
    const res = await fetch(`${server.baseUrl}/`, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = (await res.json().catch(() => ({}))) as {
      entry?: { response?: { status?: string; location?: string } }[];
      issue?: { diagnostics?: string; details?: { text?: string } }[];
    };
    if (!res.ok) {
      failedBundles++;
      const why = answer.issue?.map((i) => i.diagnostics ?? i.details?.text).join("; ");
      console.error(`  bundle refused: HTTP ${res.status} ${why?.slice(0, 300) ?? ""}`);
      continue;
    }
    for (const entry of answer.entry ?? []) {
      if (!/^2/.test(entry.response?.status ?? "")) {
        failedEntries++;
        continue;
      }
      resources++;
      const m = LOCATION.exec(entry.response?.location ?? "");
      if (m) paths.push(`${m[1]}/${m[2]}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (sent < bodies.length) console.error(`  import stopped at the phase bound: ${sent} of ${bodies.length} bundles`);
  return { figures: { bundles: sent, resources, seconds, failedEntries, failedBundles }, paths };
}

async function readPhase(server: ServerHandle, paths: string[], dir: string): Promise<ReadLoadResult> {
  const pathsFile = join(dir, "paths.json");
  await writeFile(pathsFile, JSON.stringify(paths));
  return runScript<ReadLoadResult>("./readLoad.ts", [
    "--base",
    server.baseUrl,
    `--token=${server.token}`,
    "--paths-file",
    pathsFile,
    "--amount",
    values.reads!,
    "--connections",
    String(connections),
  ]);
}

const searchNames = [
  "Observation?subject=Patient/X&code=8867-4",
  "Observation?patient=X&date=2015..2018",
  "Condition?patient=X",
];
const searches = (pid: string) => [
  `/Observation?subject=Patient/${pid}&code=http://loinc.org|8867-4&_count=50`,
  `/Observation?patient=${pid}&date=ge2015-01-01&date=lt2018-01-01&_count=50`,
  `/Condition?patient=${pid}&_count=50`,
];

/** Each search over the patients, sequential, `rounds` times; stops a query after --search-seconds. */
async function searchPhase(server: ServerHandle, patients: string[]): Promise<SearchFigure[]> {
  const headers = { authorization: `Bearer ${server.token}`, accept: "application/fhir+json" };
  const out: SearchFigure[] = [];
  for (let q = 0; q < searchNames.length; q++) {
    const t0 = performance.now();
    const lat: number[] = [];
    const totals: number[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const pid of patients) {
        if (performance.now() - t0 > searchMs) break;
        const s = performance.now();
        const res = await fetch(`${server.baseUrl}${searches(pid)[q]}`, {
          headers,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const bundle = (await res.json()) as { total?: number };
        lat.push(performance.now() - s);
        if (res.status !== 200) throw new Error(`search ${searches(pid)[q]} failed: HTTP ${res.status}`);
        if (round === 0) totals.push(bundle.total ?? -1);
      }
    }
    lat.sort((a, b) => a - b);
    out.push({ p50: percentile(lat, 50), p95: percentile(lat, 95), n: lat.length, totals });
  }
  return out;
}

async function createPhase(server: ServerHandle): Promise<LoadResult> {
  const patient = (await (
    await fetch(`${server.baseUrl}/Patient`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Bench" }] }),
    })
  ).json()) as { id: string };
  return runScript<LoadResult>("./createLoad.ts", [
    "--base",
    server.baseUrl,
    `--token=${server.token}`,
    "--amount",
    values.creates!,
    "--connections",
    String(connections),
    "--patient",
    patient.id,
  ]);
}

async function runEngine(engine: Engine): Promise<EngineResult> {
  const dir = await mkdtemp(join(tmpdir(), `fhirledger-peer-bench-`));
  const loadBefore = loadavg()[0]!;
  const server = await startEngine(engine);
  try {
    console.error(`${engineNames[engine]}: import of ${bodies.length} bundles…`);
    const imported = await importPhase(server);
    // fhirledger anchors in the background: wait for it, so the figures that follow are
    // reads and searches alone (the import figure above stops at the last bundle's answer).
    const anchorDrainSeconds =
      engine !== "medplum" ? (await server.ask<{ seconds: number }>("settle", "settled")).seconds : null;
    console.error(`${engineNames[engine]}: GET by id…`);
    const read = await readPhase(server, imported.paths, dir);
    const patients = imported.paths
      .filter((p) => p.startsWith("Patient/"))
      .slice(0, Number(values.patients))
      .map((p) => p.slice("Patient/".length));
    console.error(`${engineNames[engine]}: searches over ${patients.length} patients…`);
    const searchFigures = await searchPhase(server, patients);
    console.error(`${engineNames[engine]}: creates…`);
    const create = await createPhase(server);
    const { maxRssMiB } = await server.ask<{ maxRssMiB: number }>("rss", "rss");
    return {
      engine,
      import: imported.figures,
      anchorDrainSeconds,
      read,
      searches: searchFigures,
      create,
      peakRssMiB: maxRssMiB,
      load: [loadBefore, loadavg()[0]!],
    };
  } finally {
    await stopEngine(server);
    await rm(dir, { recursive: true, force: true });
  }
}

// --- run and report -------------------------------------------------------------------------
const engines = values.engines!.split(",") as Engine[];
const results = new Map<Engine, EngineResult>();
for (const engine of engines) results.set(engine, await runEngine(engine));

const cpu = execFileSync("nproc").toString().trim();
console.log(
  `\npeer bench: ${files.length} Synthea bundles (${totalEntries} entries) from ${source}; ${values.reads} reads and ${values.creates} creates over ${connections} connections; searches sequential, ${values.rounds} rounds over ${values.patients} patients at most, ${values["search-seconds"]} s per query at most; Node ${process.version}; ${cpu} cores; loopback\n`,
);
const led = results.get("fhirledger");
const med = results.get("medplum");
const mem = results.get("fhirledger-memory");
type Row = [label: string, pick: (r: EngineResult) => number, digits: number];
const rows: Row[] = [
  ["import resources/s", (r) => r.import.resources / r.import.seconds, 0],
  ["import seconds", (r) => r.import.seconds, 1],
  ["GET by id req/s", (r) => r.read.perSecond, 0],
  ["GET by id p50 ms", (r) => r.read.p50, 2],
  ["GET by id p99 ms", (r) => r.read.p99, 2],
  ["create /s", (r) => r.create.perSecond, 0],
  ["create p50 ms", (r) => r.create.p50, 2],
  ["create p99 ms", (r) => r.create.p99, 2],
  ...searchNames.flatMap((name, q): Row[] => [
    [`${name} p50 ms`, (r) => r.searches[q]!.p50, 2],
    [`${name} p95 ms`, (r) => r.searches[q]!.p95, 2],
  ]),
  ["server peak RSS MiB", (r) => r.peakRssMiB, 0],
];
/** A ratio with two decimals, or two significant digits below 0.1 (0.0048×, not 0.00×). */
const times = (x: number) => `${x < 0.1 ? x.toPrecision(2) : x.toFixed(2)}×`;
const cell = (r: EngineResult | undefined, pick: Row[1], d: number) => (r ? pick(r).toFixed(d) : "-").padStart(12);
console.log(
  `${"figure".padEnd(52)}${"fhirledger".padStart(12)}${"Medplum".padStart(12)}${"fl ÷ Medplum".padStart(14)}${"fl in-mem".padStart(12)}`,
);
for (const [label, pick, d] of rows) {
  const ratio = led && med ? times(pick(led) / pick(med)) : "-";
  console.log(
    `${label.padEnd(52)}${cell(led, pick, d)}${cell(med, pick, d)}${ratio.padStart(14)}${cell(mem, pick, d)}`,
  );
}
if (led && mem) {
  console.log(
    `\ncost of trust (fhirledger full ÷ in-memory adapters): creates/s ${(led.create.perSecond / mem.create.perSecond).toFixed(2)}×, create p50 ${(led.create.p50 / mem.create.p50).toFixed(2)}×; import resources/s ${(led.import.resources / led.import.seconds / (mem.import.resources / mem.import.seconds)).toFixed(2)}×; GET by id req/s ${(led.read.perSecond / mem.read.perSecond).toFixed(2)}×`,
  );
}
console.log("\nchecks:");
const reference = [...results.values()][0]!;
for (const r of results.values()) {
  const failures = r.import.failedBundles + r.import.failedEntries + r.read.failures + r.create.failures;
  // The same data gives the same totals: compared patient by patient (import order) with the
  // first engine, over the patients both reached before --search-seconds.
  const agree = r.searches.map((s, q) => {
    const other = reference.searches[q]!.totals;
    const n = Math.min(s.totals.length, other.length);
    const same = s.totals.slice(0, n).every((t, i) => t === other[i]);
    return `${same ? "same" : "DIFFERENT"} on ${n}`;
  });
  console.log(
    `  ${engineNames[r.engine].padEnd(32)} imported ${r.import.resources}/${totalEntries} entries of ${r.import.bundles} bundles; search requests ${r.searches.map((s) => s.n).join("/")}, totals vs ${engineNames[reference.engine]}: ${agree.join(", ")} patients; failures: ${r.import.failedBundles} bundles, ${r.import.failedEntries} entries, ${r.read.failures} reads, ${r.create.failures} creates${failures ? "  <-- CHECK" : ""}${r.anchorDrainSeconds !== null ? `; anchoring drained ${r.anchorDrainSeconds.toFixed(1)} s after the import` : ""}; load average ${r.load[0].toFixed(1)} before, ${r.load[1].toFixed(1)} after`,
  );
}
console.log(
  "\nfhirledger = full pipeline: validation, canonical JSON, AES-256-GCM, Helia (blocks in SQLite), SQLite index, anchoring on an embedded anvil chain (anvil's own process is not in the RSS).",
);
console.log(
  "Medplum = @medplum/fhir-router 5.2.13 FhirRouter + MemoryRepository behind node:http: everything in a JS Map, no auth, no validation,",
);
console.log(
  "  search by scanning every resource of the type, and conditional references (Practitioner?identifier=…) left unresolved in stored resources.",
);
console.log(
  `The servers, the load generators and whatever else runs on this machine share its ${cpu} cores: the load averages above say how busy it was.`,
);
console.log("ratio = fhirledger ÷ Medplum (above 1 is fhirledger higher: better for /s, worse for ms and MiB).");
