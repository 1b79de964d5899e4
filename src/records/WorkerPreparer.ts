import { Worker } from "node:worker_threads";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { DirectBlockWrites } from "../ports/BlobStore.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import { inlinePreparer } from "./prepareRecords.ts";
import type { PrepareItem, Prepared, RecordPreparer } from "./prepareRecords.ts";
import type { PrepareRequest, PrepareResponse } from "./prepareWorker.ts";

/** Below this many records a batch is sealed inline: the round trip would cost more. */
const MIN_BATCH = 16;
/**
 * Single writes (a create, an update) that arrive in one event-loop turn are sent to the worker
 * together when at least this many records came: under concurrent load the main thread keeps
 * HTTP, validation and commits while the worker hashes, encrypts and extracts search rows.
 */
const MIN_GATHERED = 8;

interface Gathered {
  items: PrepareItem[];
  keys: DataKey[];
  extract: boolean;
  resolve: (results: Prepared[]) => void;
  reject: (error: unknown) => void;
}
/** The worker's old-space limit: definitions (~20 MB) plus one large transaction's records. */
const WORKER_OLD_SPACE_MB = 128;

/**
 * Seals records and extracts their search rows on a worker thread, so a large transaction's
 * CPU work runs beside the main thread (which keeps parsing, validating and committing).
 * Given a blob store's direct block writes (BlobStore.directBlockWrites), the worker also stores
 * the envelopes in that block file itself and answers with their CIDs.
 * Data keys travel to the worker inside the process and are wiped there after use. If the
 * worker dies, pending batches fail with "unavailable" and later ones are prepared inline.
 */
export class WorkerPreparer implements RecordPreparer {
  readonly #blocksPath: string | undefined;
  /** Started by the first large batch: a server that never gets one never loads a second copy of the definitions. */
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve: (results: Prepared[]) => void; reject: (error: Error) => void }>();
  #seq = 0;
  #broken = false;
  /** Small batches of this turn, sent together (or sealed inline) at its end. */
  #gathered: Gathered[] = [];

  constructor(options: { directBlockWrites?: DirectBlockWrites | undefined } = {}) {
    this.#blocksPath = options.directBlockWrites?.blocksPath;
  }

  async prepare(items: PrepareItem[], keys: DataKey[], options: { extract: boolean }): Promise<Prepared[]> {
    // nothing to seal (deletes only): nothing to wait for
    if (this.#broken || items.length === 0) return inlinePreparer.prepare(items, keys, options);
    if (items.length >= MIN_BATCH) return this.#send(items, keys, options.extract);
    return new Promise<Prepared[]>((resolve, reject) => {
      if (this.#gathered.length === 0) setImmediate(() => this.#sendGathered());
      this.#gathered.push({ items, keys, extract: options.extract, resolve, reject });
    });
  }

  /** The small batches of the turn that ended: one worker batch when there are enough records, else inline. */
  #sendGathered(): void {
    const gathered = this.#gathered;
    this.#gathered = [];
    for (const extract of [true, false]) {
      const group = gathered.filter((g) => g.extract === extract);
      const count = group.reduce((n, g) => n + g.items.length, 0);
      if (count < MIN_GATHERED || this.#broken) {
        for (const g of group) inlinePreparer.prepare(g.items, g.keys, { extract }).then(g.resolve, g.reject);
        continue;
      }
      const keys = new Map<string, DataKey>();
      for (const g of group) for (const k of g.keys) keys.set(k.keyId, k);
      this.#send(
        group.flatMap((g) => g.items),
        [...keys.values()],
        extract,
      ).then(
        (results) => {
          let at = 0;
          for (const g of group) {
            g.resolve(results.slice(at, at + g.items.length));
            at += g.items.length;
          }
        },
        (error: unknown) => {
          for (const g of group) g.reject(error);
        },
      );
    }
  }

  async #send(items: PrepareItem[], keys: DataKey[], extract: boolean): Promise<Prepared[]> {
    const worker = (this.#worker ??= this.#start());
    const seq = (this.#seq += 1);
    const request: PrepareRequest = {
      seq,
      items,
      keys: keys.map((k) => ({ keyId: k.keyId, key: k.key })),
      extract,
    };
    const results = new Promise<Prepared[]>((resolve, reject) => this.#pending.set(seq, { resolve, reject }));
    worker.ref();
    worker.postMessage(request);
    try {
      return await results;
    } finally {
      if (this.#pending.size === 0) worker.unref();
    }
  }

  /** Lets the worker close its blocks connection and end; ended by force if it has not within 2 s. */
  async close(): Promise<void> {
    this.#broken = true;
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.ref();
    worker.postMessage("close");
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }

  #start(): Worker {
    const worker = new Worker(new URL("./prepareWorker.ts", import.meta.url), {
      workerData: { blocksPath: this.#blocksPath },
      // A batch needs a few tens of MB; a small heap keeps the server's RSS down (the worker
      // collects more often, on its own core). Running out ends the worker: inline from then on.
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: 16 },
    });
    worker.unref();
    worker.on("message", (response: PrepareResponse) => {
      const waiting = this.#pending.get(response.seq);
      if (!waiting) return;
      this.#pending.delete(response.seq);
      if ("error" in response)
        waiting.reject(new FhirLedgerError("internal", `record preparation failed: ${response.error}`));
      else waiting.resolve(response.results);
    });
    const fail = (reason: string) => {
      this.#broken = true;
      for (const waiting of this.#pending.values())
        waiting.reject(new FhirLedgerError("unavailable", `record preparation worker ${reason}`));
      this.#pending.clear();
    };
    worker.on("error", (error) => fail(`failed: ${error.message}`));
    worker.on("exit", (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      fail(`exited (${code})`);
    });
    return worker;
  }
}
