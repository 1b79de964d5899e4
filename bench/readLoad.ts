/**
 * GET-by-id load generator, run in its own process so the server under test keeps its core:
 * autocannon keeps `--connections` keep-alive connections busy, each request reading the next
 * path of a shuffled list, until `--amount` responses have arrived (bounded in count, and
 * each request in time). Prints one JSON line.
 *
 *   node bench/readLoad.ts --base http://127.0.0.1:8080 --token=T --paths-file paths.json [--amount 30000] [--connections 16]
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

export interface ReadLoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p97_5: number;
  p99: number;
  max: number;
  failures: number;
}

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    "paths-file": { type: "string" },
    amount: { type: "string", default: "30000" },
    connections: { type: "string", default: "16" },
  },
});
const paths = JSON.parse(readFileSync(values["paths-file"]!, "utf8")) as string[];
if (paths.length === 0) throw new Error("no paths to read");
// Fisher–Yates with a fixed seed: the same random order every run.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
for (let i = paths.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [paths[i], paths[j]] = [paths[j]!, paths[i]!];
}
const base = new URL(values.base!);
let next = 0;
// autocannon's own duration is counted in whole seconds of its sampling ticks: time the
// responses here instead (first request sent to last response received).
const amount = Number(values.amount);
let answered = 0;
let lastAnswerAt = 0;
const startedAt = performance.now();
const result = await autocannon({
  url: base.origin,
  connections: Number(values.connections),
  amount,
  timeout: 10,
  headers: { authorization: `Bearer ${values.token}`, accept: "application/fhir+json" },
  requests: [
    {
      setupRequest: (request) => ({
        ...request,
        path: `${base.pathname.replace(/\/$/, "")}/${paths[next++ % paths.length]}`,
      }),
      onResponse: () => {
        answered++;
        if (answered <= amount) lastAnswerAt = performance.now();
      },
    },
  ],
});
const seconds = (lastAnswerAt - startedAt) / 1000;
const out: ReadLoadResult = {
  requests: result.requests.total,
  seconds,
  perSecond: result["2xx"] / seconds,
  p50: result.latency.p50,
  p97_5: result.latency.p97_5,
  p99: result.latency.p99,
  max: result.latency.max,
  failures: result.non2xx + result.errors + result.timeouts,
};
console.log(JSON.stringify(out));
