/**
 * A stand-in reader worker for ReaderPool's tests: a search of the type "Stall" blocks its
 * thread for 20 s (as a runaway SQLite query would); anything else is answered at once with
 * the request's kind. Lets a test hit the deadline deterministically, whatever the machine.
 */
import { parentPort } from "node:worker_threads";
import type { ReaderRequest } from "../ReaderPool.ts";

parentPort?.postMessage("ready");
parentPort?.on("message", (request: ReaderRequest | "close") => {
  if (request === "close") {
    parentPort!.close();
    return;
  }
  if (request.kind === "search" && request.query.type === "Stall")
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20_000);
  parentPort!.postMessage({ seq: request.seq, result: { answeredBy: process.pid, kind: request.kind } });
});
