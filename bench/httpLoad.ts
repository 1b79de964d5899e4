/**
 * Load generator run in its own process (so the server under test keeps its core):
 * sends bounded, concurrent HTTP requests to a loopback server and prints latency figures.
 *
 *   node bench/httpLoad.ts --base http://127.0.0.1:8080 --token T --op create-observations --count 3000 --clients 16 --patient ID
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failures: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `fn` over items with `concurrency` workers; returns the latencies (ms) of successful calls. */
export async function runPool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const s = performance.now();
        if (await fn(item)) latencies.push(performance.now() - s);
        else failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: items.length,
    seconds,
    perSecond: items.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    failures,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      base: { type: "string" },
      token: { type: "string" },
      op: { type: "string" },
      count: { type: "string", default: "1000" },
      clients: { type: "string", default: "16" },
      patient: { type: "string" },
      "out-ids": { type: "string" },
    },
  });
  const headers = { authorization: `Bearer ${values.token}`, "content-type": "application/fhir+json" };
  const clients = Number(values.clients);
  let result: LoadResult;
  if (values.op === "create-observations") {
    const ids: string[] = [];
    result = await runPool(
      Array.from({ length: Number(values.count) }, (_, i) => i),
      clients,
      async (i) => {
        const body = JSON.stringify({
          resourceType: "Observation",
          status: "final",
          code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
          subject: { reference: `Patient/${values.patient}` },
          effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
          valueQuantity: {
            value: 60 + (i % 40),
            unit: "beats/minute",
            system: "http://unitsofmeasure.org",
            code: "/min",
          },
        });
        const res = await fetch(`${values.base}/Observation`, {
          method: "POST",
          headers: { ...headers, prefer: "return=minimal" },
          body,
        });
        await res.arrayBuffer();
        const location = res.headers.get("location") ?? "";
        const id = /\/Observation\/([^/]+)\//.exec(location)?.[1];
        if (res.status === 201 && id) ids.push(id);
        return res.status === 201;
      },
    );
    if (values["out-ids"]) writeFileSync(values["out-ids"], JSON.stringify(ids));
  } else {
    throw new Error(`unknown --op ${values.op}`);
  }
  console.log(JSON.stringify(result));
}
