/**
 * Token-endpoint load generator, run in its own process: autocannon POSTs the form bodies of a
 * file (one client_credentials request each, with its own signed client assertion, made before
 * the clock starts) to `--url` over `--connections` keep-alive connections. Prints one JSON line.
 *
 *   node bench/tokenLoad.ts --url http://127.0.0.1:8080/auth/token --bodies-file bodies.json [--connections 8]
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { LoadResult } from "./httpLoad.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "bodies-file": { type: "string" },
    connections: { type: "string", default: "8" },
  },
});
const bodies = JSON.parse(readFileSync(values["bodies-file"]!, "utf8")) as string[];
const url = new URL(values.url!);
let next = 0;
let issued = 0;
let answered = 0;
let lastAnswerAt = 0;
const startedAt = performance.now();
const result = await autocannon({
  url: url.origin,
  connections: Number(values.connections),
  amount: bodies.length,
  timeout: 30,
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
  requests: [
    {
      setupRequest: (request) => ({ ...request, method: "POST", path: url.pathname, body: bodies[next++]! }),
      onResponse: (status) => {
        answered++;
        if (status === 200) issued++;
        if (answered <= bodies.length) lastAnswerAt = performance.now();
      },
    },
  ],
});
const seconds = (lastAnswerAt - startedAt) / 1000;
const out: LoadResult = {
  count: bodies.length,
  seconds,
  perSecond: issued / seconds,
  p50: result.latency.p50,
  // autocannon keeps no 95th percentile: this is its 97.5th
  p95: result.latency.p97_5,
  p99: result.latency.p99,
  failures: bodies.length - issued,
};
console.log(JSON.stringify(out));
