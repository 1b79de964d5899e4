import { Worker } from "node:worker_threads";
import { type ErrorCode, type ErrorIssue, FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import type {
  CompartmentPage,
  CompartmentQuery,
  EveryCompartmentQuery,
  HistoryPage,
  HistoryQuery,
} from "../../../../ports/HistoryIndex.ts";
import type { SearchOptions, SearchPage } from "../../../../ports/SearchIndex.ts";
import type { SearchRequest } from "../../../../ports/SearchRequest.ts";

export type ReaderQuery =
  | { kind: "search"; query: SearchRequest; options: SearchOptions }
  | { kind: "history"; query: HistoryQuery }
  | { kind: "compartment"; query: CompartmentQuery }
  | { kind: "everyCompartment"; query: EveryCompartmentQuery };

export type ReaderRequest = { seq: number } & ReaderQuery;

export type ReaderResponse =
  | { seq: number; result: unknown }
  | { seq: number; error: { code: ErrorCode; message: string; issues: ErrorIssue[] } };

type Job = {
  request: ReaderRequest;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
};

interface Reader {
  worker: Worker;
  /** The worker has loaded its modules and opened its connection. */
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** The worker's old-space limit: the search definitions (~20 MB) and one page of rows. */
const WORKER_OLD_SPACE_MB = 192;

/**
 * Index reads (search, history, compartment pages) on a pool of worker threads, each with its
 * own read-only connection (SQLite in WAL mode lets readers run beside the writer). One slow
 * query then holds one reader, never the event loop: other requests, writes and reads by id go
 * on. Every query has a deadline (`queryTimeoutMs`, from when a reader takes it): a query
 * still running then is stopped by ending its worker (a new one takes its place) and answered
 * with a 400 `too-costly` naming the limit. Waiting for a free reader is bounded by the
 * deadlines of the queries ahead.
 */
export class ReaderPool {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #cacheKiB: number;
  readonly #searchKey: Uint8Array;
  readonly #readers: Reader[] = [];
  /**
   * Readers to run, started by the first query: a server that is never searched starts none,
   * and tests that start and stop many servers start few threads (each thread's start and end
   * is V8 isolate churn, which Node 24 has crashed on: see nodejs/node#64500).
   */
  readonly #count: number;
  readonly #queue: Job[] = [];
  #seq = 0;
  #closed = false;

  readonly #workerUrl: URL;

  /**
   * `workerUrl`: the worker script (readerWorker.ts; tests give a stand-in). `searchKey`: the
   * index's (see SearchKey), handed to each reader thread, which compiles searches against it.
   */
  constructor(options: {
    path: string;
    readers: number;
    queryTimeoutMs: number;
    searchKey: Uint8Array;
    cacheKiB?: number;
    workerUrl?: URL;
  }) {
    this.#workerUrl = options.workerUrl ?? new URL("./readerWorker.ts", import.meta.url);
    this.#path = options.path;
    this.#timeoutMs = options.queryTimeoutMs;
    this.#cacheKiB = options.cacheKiB ?? 32_768;
    this.#searchKey = new Uint8Array(options.searchKey);
    this.#count = Math.max(1, options.readers);
  }

  search(query: SearchRequest, options: SearchOptions): Promise<SearchPage> {
    return this.#ask({ kind: "search", query, options }) as Promise<SearchPage>;
  }

  historyPage(query: HistoryQuery): Promise<HistoryPage> {
    return this.#ask({ kind: "history", query }) as Promise<HistoryPage>;
  }

  compartmentPage(query: CompartmentQuery): Promise<CompartmentPage> {
    return this.#ask({ kind: "compartment", query }) as Promise<CompartmentPage>;
  }

  everyCompartmentPage(query: EveryCompartmentQuery): Promise<CompartmentPage> {
    return this.#ask({ kind: "everyCompartment", query }) as Promise<CompartmentPage>;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new FhirLedgerError("unavailable", "the index is closing"));
    await Promise.all(this.#readers.map((r) => this.#stop(r)));
  }

  #ask(request: ReaderQuery): Promise<unknown> {
    if (this.#readers.length === 0 && !this.#closed)
      for (let i = 0; i < this.#count; i++) this.#readers.push(this.#start());
    if (this.#closed) return Promise.reject(new FhirLedgerError("unavailable", "the index is closed"));
    return new Promise((resolve, reject) => {
      const job: Job = { request: { ...request, seq: (this.#seq += 1) }, resolve, reject };
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const reader of this.#readers) {
      if (reader.job !== null || !reader.ready) continue;
      const job = this.#queue.shift();
      if (!job) return;
      reader.job = job;
      reader.worker.ref();
      reader.timer = setTimeout(() => this.#expire(reader), this.#timeoutMs);
      reader.worker.postMessage(job.request);
    }
  }

  #timedOut(): FhirLedgerError {
    const message = `the query ran longer than ${this.#timeoutMs} ms, the most one index query may take (FHIRLEDGER_QUERY_TIMEOUT_MS); narrow it`;
    return new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
  }

  /** The query outlived its deadline: its worker is ended (that stops SQLite mid-query) and replaced. */
  #expire(reader: Reader): void {
    const job = reader.job;
    if (!job) return;
    this.#settle(reader);
    job.reject(this.#timedOut());
    const old = reader.worker;
    old.removeAllListeners("message");
    old.removeAllListeners("error");
    old.removeAllListeners("exit");
    void old.terminate();
    if (!this.#closed) {
      reader.worker = this.#spawn(reader);
      this.#dispatch();
    }
  }

  #settle(reader: Reader): void {
    if (reader.timer) clearTimeout(reader.timer);
    reader.timer = null;
    reader.job = null;
    reader.worker.unref();
  }

  #start(): Reader {
    const reader: Reader = { worker: undefined as unknown as Worker, ready: false, job: null, timer: null };
    reader.worker = this.#spawn(reader);
    return reader;
  }

  #spawn(reader: Reader): Worker {
    reader.ready = false;
    const worker = new Worker(this.#workerUrl, {
      workerData: { path: this.#path, cacheKiB: this.#cacheKiB, searchKey: this.#searchKey },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
    });
    worker.unref();
    worker.on("message", (response: ReaderResponse | "ready") => {
      if (response === "ready") {
        reader.ready = true;
        this.#dispatch();
        return;
      }
      const job = reader.job;
      if (!job || job.request.seq !== response.seq) return;
      this.#settle(reader);
      if ("error" in response)
        job.reject(new FhirLedgerError(response.error.code, response.error.message, { issues: response.error.issues }));
      else job.resolve(response.result);
      this.#dispatch();
    });
    const lost = (why: string) => {
      const job = reader.job;
      this.#settle(reader);
      job?.reject(new FhirLedgerError("unavailable", `an index reader stopped (${why})`));
      if (!this.#closed) {
        reader.worker = this.#spawn(reader);
        this.#dispatch();
      }
    };
    worker.on("error", (error) => lost(error.message));
    worker.on("exit", (code) => {
      if (!this.#closed && reader.worker === worker) lost(`exit ${code}`);
    });
    return worker;
  }

  async #stop(reader: Reader): Promise<void> {
    if (reader.timer) clearTimeout(reader.timer);
    const worker = reader.worker;
    worker.removeAllListeners("exit");
    worker.removeAllListeners("error");
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.ref();
    worker.postMessage("close");
    const forced = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(forced);
  }
}
