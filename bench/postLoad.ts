import autocannon from "autocannon";
import type { LoadResult } from "./httpLoad.ts";

/**
 * Sends `amount` POSTs over `connections` keep-alive connections (autocannon), the i-th with
 * `body(i)`, and times them from the first request sent to the last answer received (autocannon's
 * own duration counts whole seconds of its sampling ticks). A response with `okStatus` counts.
 */
export async function postLoad(options: {
  url: URL;
  amount: number;
  connections: number;
  headers: Record<string, string>;
  body: (i: number) => string;
  okStatus: number;
}): Promise<LoadResult> {
  const { url, amount } = options;
  let next = 0;
  let ok = 0;
  let answered = 0;
  let lastAnswerAt = 0;
  const startedAt = performance.now();
  const result = await autocannon({
    url: url.origin,
    connections: options.connections,
    amount,
    timeout: 30,
    method: "POST",
    headers: options.headers,
    requests: [
      {
        setupRequest: (request) => ({ ...request, method: "POST", path: url.pathname, body: options.body(next++) }),
        onResponse: (status) => {
          answered++;
          if (status === options.okStatus) ok++;
          if (answered <= amount) lastAnswerAt = performance.now();
        },
      },
    ],
  });
  const seconds = (lastAnswerAt - startedAt) / 1000;
  return {
    count: amount,
    seconds,
    perSecond: ok / seconds,
    p50: result.latency.p50,
    // autocannon keeps no 95th percentile: this is its 97.5th
    p95: result.latency.p97_5,
    p99: result.latency.p99,
    failures: amount - ok,
  };
}
