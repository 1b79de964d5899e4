/**
 * Large responses: time, peak memory and /health latency while the server answers a searchset,
 * a batch of reads and a batch of searches over a few large resources (Helia, SQLite, anvil).
 * The client reads each body as a stream and throws it away, so the memory measured is the
 * server's: the process RSS sampled every 5 ms during the request, less the RSS before it.
 * Prints one JSON line per case.
 *
 *   node --expose-gc bench/largeResponse.bench.ts [--resources 4] [--mb 15] [--batch 100]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../src/adapters/logging/silentLogger.ts";
import { loadConfig } from "../src/config/loadConfig.ts";
import { startServer } from "../src/server/startServer.ts";

const { values } = parseArgs({
  options: {
    resources: { type: "string", default: "4" },
    mb: { type: "string", default: "15" },
    batch: { type: "string", default: "100" },
  },
});
const count = Number(values.resources);
const size = Number(values.mb) * 1000 * 1000;

const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-large-bench-"));
const server = await startServer(
  loadConfig({ FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_PORT: "0", FHIRLEDGER_CHAIN_PORT: "0" }),
  silentLogger,
);
const headers = { authorization: `Bearer ${server.devToken}`, "content-type": "application/fhir+json" };

/** Sends a request and reads the body as it comes, keeping only its length. */
function send(method: string, path: string, body?: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) };
    const req = httpRequest(new URL(path, server.baseUrl), { method, headers: { ...headers, ...length } }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ status: res.statusCode!, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

try {
  for (let i = 0; i < count; i++) {
    const div = `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(size)}</div>`;
    const put = await send(
      "PUT",
      `/Basic/large${i}`,
      JSON.stringify({
        resourceType: "Basic",
        id: `large${i}`,
        code: { text: "large" },
        text: { status: "generated", div },
      }),
    );
    if (put.status !== 201) throw new Error(`PUT answered ${put.status}`);
  }
  const batch = (urls: string[]) =>
    JSON.stringify({
      resourceType: "Bundle",
      type: "batch",
      entry: urls.map((url) => ({ request: { method: "GET", url } })),
    });
  const cases: [string, string, string, string?][] = [
    ["searchset", "GET", "/Basic?_count=1000"],
    ["batch of reads", "POST", "/", batch(Array.from({ length: count }, (_, i) => `Basic/large${i}`))],
    ["batch of searches", "POST", "/", batch(Array.from({ length: Number(values.batch) }, () => "Basic?_count=1000"))],
  ];
  for (const [name, method, path, body] of cases) {
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    // /health, one after the other, while the large response is produced
    let busy = true;
    let healthMax = 0;
    const health = (async () => {
      while (busy) {
        const t = performance.now();
        await send("GET", "/health");
        healthMax = Math.max(healthMax, performance.now() - t);
      }
    })();
    const started = performance.now();
    const res = await send(method, path, body);
    const ms = performance.now() - started;
    busy = false;
    await health;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(
      JSON.stringify({
        case: name,
        status: res.status,
        responseMB: +(res.bytes / 1e6).toFixed(1),
        seconds: +(ms / 1000).toFixed(2),
        peakRssDeltaMB: Math.round((peak - before) / 1e6),
        healthMaxMs: Math.round(healthMax),
      }),
    );
  }
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
