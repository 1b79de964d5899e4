/**
 * Full-pipeline benchmark: concurrent HTTP clients (in a separate process) create Observations,
 * then read them back by id (autocannon, random order), through validation → canonical JSON → AES-256-GCM → IPFS (Helia, fs
 * blockstore) → SQLite → anchoring on an anvil chain; then the same run with in-memory blob
 * store and ledger adapters, and the ratio between the two ("cost of trust"). Each mode's
 * server runs in its own process, so peak RSS is that mode's own.
 *
 *   npm run bench                                  # 3000 creates, 30000 reads, 16 clients
 *   node bench/pipeline.bench.ts --count 5000 --reads 50000 --clients 32
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MemoryBlobStore } from "../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../src/adapters/ledger/MemoryLedger.ts";
import { loadConfig } from "../src/config/loadConfig.ts";
import { silentLogger } from "../src/adapters/logging/silentLogger.ts";
import { startServer } from "../src/server/startServer.ts";
import type { LoadResult } from "./httpLoad.ts";
import type { ReadLoadResult } from "./readLoad.ts";

interface ModeResult {
  mode: string;
  create: LoadResult;
  read: ReadLoadResult;
  anchorDrainSeconds: number;
  batches: number;
  peakRssMiB: number;
}

const { values } = parseArgs({
  options: {
    mode: { type: "string" },
    count: { type: "string", default: "3000" },
    reads: { type: "string", default: "30000" },
    clients: { type: "string", default: "16" },
  },
});
const count = Number(values.count);
const clients = Number(values.clients);
const reads = Number(values.reads);

/** Runs a load generator script in a child process; async so this process keeps serving. */
function run<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(script, import.meta.url)), ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as T);
      },
    );
  });
}

async function runMode(mode: "full" | "memory"): Promise<ModeResult> {
  const dataDir = await mkdtemp(join(tmpdir(), `fhirledger-bench-${mode}-`));
  const config = loadConfig({
    FHIRLEDGER_DATA_DIR: dataDir,
    FHIRLEDGER_PORT: "0",
    FHIRLEDGER_CHAIN_PORT: "0",
    FHIRLEDGER_ANCHOR_INTERVAL_MS: "1000",
  });
  const overrides = mode === "memory" ? { blobs: new MemoryBlobStore(), ledger: new MemoryLedger() } : {};
  const server = await startServer(config, silentLogger, overrides);
  try {
    const headers = { authorization: `Bearer ${server.devToken}`, "content-type": "application/fhir+json" };
    const patient = (await (
      await fetch(`${server.baseUrl}/Patient`, {
        method: "POST",
        headers,
        body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Bench" }] }),
      })
    ).json()) as { id: string };
    const idsFile = join(dataDir, "ids.json");
    const common = ["--base", server.baseUrl, `--token=${server.devToken}`, "--clients", String(clients)];
    const create = await run<LoadResult>("./httpLoad.ts", [
      ...common,
      "--op",
      "create-observations",
      "--count",
      String(count),
      "--patient",
      patient.id,
      "--out-ids",
      idsFile,
    ]);
    // Anchor what was written before reading, so the read figures are reads alone.
    const t = performance.now();
    await server.anchorer.flush();
    const anchorDrainSeconds = (performance.now() - t) / 1000;
    const pathsFile = join(dataDir, "paths.json");
    await writeFile(
      pathsFile,
      JSON.stringify((JSON.parse(await readFile(idsFile, "utf8")) as string[]).map((id) => `Observation/${id}`)),
    );
    const read = await run<ReadLoadResult>("./readLoad.ts", [
      "--base",
      server.baseUrl,
      `--token=${server.devToken}`,
      "--connections",
      String(clients),
      "--amount",
      String(reads),
      "--paths-file",
      pathsFile,
    ]);
    return {
      mode,
      create,
      read,
      anchorDrainSeconds,
      batches: (await server.index.stats()).batches,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (values.mode === "full" || values.mode === "memory") {
  console.log(JSON.stringify(await runMode(values.mode)));
} else {
  const results: ModeResult[] = [];
  for (const mode of ["full", "memory"] as const) {
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        "--mode",
        mode,
        "--count",
        String(count),
        "--reads",
        String(reads),
        "--clients",
        String(clients),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    );
    if (child.status !== 0) throw new Error(`${mode} run failed`);
    results.push(JSON.parse(child.stdout.trim().split("\n").at(-1)!) as ModeResult);
  }
  const f = (n: number, d = 1, w = 9) => n.toFixed(d).padStart(w);
  const cpu = execFileSync("nproc").toString().trim();
  console.log(
    `\nfhirledger pipeline bench: ${count} Observation creates, then ${reads} reads by id in random order; ${clients} concurrent HTTP clients in a separate process; Node ${process.version}; ${cpu} cores\n`,
  );
  console.log(
    "mode     creates/s  p50 ms  p99 ms   reads/s  p50 ms  p99 ms  anchor drain s  batches  server peak RSS MiB",
  );
  for (const r of results) {
    console.log(
      `${r.mode.padEnd(7)}${f(r.create.perSecond)}${f(r.create.p50, 2, 8)}${f(r.create.p99, 2, 8)}${f(r.read.perSecond, 1, 10)}${f(r.read.p50, 2, 8)}${f(r.read.p99, 2, 8)}${f(r.anchorDrainSeconds, 2, 16)}${String(r.batches).padStart(9)}${f(r.peakRssMiB, 1, 21)}`,
    );
    if (r.create.failures + r.read.failures > 0)
      console.log(`  failures: ${r.create.failures} creates, ${r.read.failures} reads`);
  }
  const [full, memory] = results as [ModeResult, ModeResult];
  console.log(
    `\ncost of trust (in-memory ÷ full): creates ${(memory.create.perSecond / full.create.perSecond).toFixed(2)}×, reads ${(memory.read.perSecond / full.read.perSecond).toFixed(2)}×`,
  );
  console.log(
    "full = Helia (blocks in SQLite) + anvil chain; memory = in-memory blob store and ledger (same validation, encryption, SQLite, HTTP)",
  );
  console.log("anchor drain = from the last create until every write is anchored; reads start after it");
}
