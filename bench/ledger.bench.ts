/**
 * Ledger benchmark on the embedded chain (anvil) with Helia and SQLite:
 *  1. anchor latency: sustained HTTP creates (load in a separate process) for --seconds; for
 *     every write, acknowledged (index commit) → its batch root confirmed on chain;
 *  2. gas: gasUsed of every anchoring transaction, per anchor and per record;
 *  3. rebuild: a fresh index from chain events + IPFS + keys, in versions per second.
 *
 *   node bench/ledger.bench.ts [--seconds 20] [--clients 8] [--rebuild-extra 20000]
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { JsonRpcProvider } from "ethers";
import { SqliteIndex } from "../src/adapters/index/sqlite/SqliteIndex.ts";
import { sqliteSearchIndexer } from "../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { loadConfig } from "../src/config/loadConfig.ts";
import { rebuildIndex } from "../src/records/rebuildIndex.ts";
import { silentLogger } from "../src/adapters/logging/silentLogger.ts";
import { startServer } from "../src/server/startServer.ts";
import { percentile } from "./httpLoad.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    clients: { type: "string", default: "8" },
    "rebuild-extra": { type: "string", default: "20000" },
  },
});

const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-ledger-bench-"));
const config = loadConfig({ FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_PORT: "0", FHIRLEDGER_CHAIN_PORT: "0" });
const server = await startServer(config, silentLogger);
try {
  // 1. sustained load for a fixed time
  const seconds = Number(values.seconds);
  const patient = (await (
    await fetch(`${server.baseUrl}/Patient`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.devToken}`, "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient" }),
    })
  ).json()) as { id: string };
  const loadScript = fileURLToPath(new URL("./httpLoad.ts", import.meta.url));
  const started = Date.now();
  let writes = 0;
  while (Date.now() - started < seconds * 1000) {
    const chunk = await new Promise<{ count: number }>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          loadScript,
          "--base",
          server.baseUrl,
          `--token=${server.devToken}`,
          "--op",
          "create-observations",
          "--count",
          "500",
          "--clients",
          String(values.clients),
          "--patient",
          patient.id,
        ],
        (error, stdout) => {
          if (error) reject(error);
          else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as { count: number });
        },
      );
    });
    writes += chunk.count;
  }
  const loadSeconds = (Date.now() - started) / 1000;
  await server.anchorer.flush();

  const rows = server.index.db
    .prepare(
      `SELECT l.queued_at, b.anchored_at FROM leaves l JOIN batches b ON b.batch_id = l.batch_id WHERE b.state = 'anchored'`,
    )
    .all() as { queued_at: string; anchored_at: string }[];
  const latencies = rows.map((r) => Date.parse(r.anchored_at) - Date.parse(r.queued_at)).sort((a, b) => a - b);
  const batches = await server.index.batches("anchored");
  const loadRecords = batches.reduce((sum, b) => sum + b.size, 0);

  // 3. more versions straight through the pipeline (no HTTP), anchored, then rebuild
  const extra = Number(values["rebuild-extra"]);
  for (let i = 0; i < extra; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, extra - i) }, (_, k) =>
        server.records.write("Observation", `rb-${i + k}`, {
          resourceType: "Observation",
          status: "final",
          code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
          subject: { reference: `Patient/${patient.id}` },
          valueQuantity: { value: (i + k) % 150, unit: "/min" },
        }),
      ),
    );
  }
  await server.anchorer.flush();
  // 2. gas of every anchoring transaction
  const allBatches = await server.index.batches("anchored");
  const provider = new JsonRpcProvider(server.chain!.rpcUrl, undefined, { staticNetwork: true });
  const gas: number[] = [];
  for (const b of allBatches) gas.push(Number((await provider.getTransactionReceipt(b.txHash!))!.gasUsed));
  provider.destroy();
  const gasSorted = [...gas].sort((a, b) => a - b);
  const records = allBatches.reduce((s, b) => s + b.size, 0);
  const bigBatches = allBatches.map((b, i) => ({ size: b.size, gas: gas[i]! })).filter((b) => b.size >= 512);

  const rebuilt = new SqliteIndex({
    path: join(dataDir, "rebuilt.sqlite"),
    search: sqliteSearchIndexer,
    bulkLoad: true,
    searchKey: await server.keys.searchIndexKey(),
  });
  const report = await rebuildIndex({ ledger: server.ledger, blobs: server.blobs, keys: server.keys, index: rebuilt });
  const tIndexes = performance.now();
  rebuilt.finishBulkLoad();
  report.seconds += (performance.now() - tIndexes) / 1000;
  rebuilt.close();

  console.log(`\nfhirledger ledger bench (anvil + Helia + SQLite, Node ${process.version})\n`);
  console.log(
    `sustained load: ${writes} creates in ${loadSeconds.toFixed(1)} s (${(writes / loadSeconds).toFixed(0)}/s, ${values.clients} clients)`,
  );
  console.log(
    `anchor latency, acknowledged → root confirmed (${latencies.length} writes): p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
  );
  console.log(
    `batches during the load: ${batches.length}, mean size ${(loadRecords / batches.length).toFixed(1)} leaves`,
  );
  console.log(`then ${extra} more versions written straight through the pipeline; all ${allBatches.length} batches:`);
  console.log(
    `gas per anchor transaction: min ${gasSorted[0]}, median ${percentile(gasSorted, 50)}, max ${gasSorted.at(-1)}`,
  );
  if (bigBatches.length > 0) {
    const perRecord = bigBatches.map((b) => b.gas / b.size);
    console.log(
      `gas per record in batches ≥ 512 leaves (${bigBatches.length} batches): max ${Math.max(...perRecord).toFixed(1)}, mean ${(perRecord.reduce((a, b) => a + b, 0) / perRecord.length).toFixed(1)}`,
    );
  }
  console.log(`gas per record overall: ${(gas.reduce((a, b) => a + b, 0) / records).toFixed(1)}`);
  console.log(
    `rebuild: ${report.versions} versions from ${report.batches} batches in ${report.seconds.toFixed(2)} s = ${(report.versions / report.seconds).toFixed(0)} versions/s`,
  );
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
