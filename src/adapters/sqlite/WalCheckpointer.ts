import { Worker } from "node:worker_threads";

/**
 * Checkpoints SQLite WAL files from a thread of their own. A checkpoint run by the writing
 * connection (SQLite's autocheckpoint) runs inside the COMMIT that crossed the threshold, on
 * the event loop: with the index checkpointing every 256 MB, one create in a few thousand
 * waited 300-400 ms for it, and every request in flight waited behind it. Here a worker copies
 * committed pages back every `intervalMs` while the event loop keeps answering; the writers
 * keep their autocheckpoint as a backstop, which a WAL kept short never reaches.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  /** Rounds completed by the worker (for tests). */
  rounds = 0;
  #closed: Promise<void> | null = null;

  /**
   * `intervalMs`: how often the worker looks (default 1 s); `minFrames`: how many WAL frames wait
   * before it copies them back (default 16,384: 64 MiB of 4 KiB pages).
   */
  constructor(paths: readonly string[], options: { intervalMs?: number; minFrames?: number } = {}) {
    this.#worker = new Worker(new URL("./walCheckpointWorker.ts", import.meta.url), {
      workerData: { paths: [...paths], intervalMs: options.intervalMs ?? 1000, minFrames: options.minFrames ?? 16_384 },
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    this.#worker.unref();
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.once("error", reject);
      this.#worker.on("message", (m: "ready" | { rounds: number }) => {
        if (m === "ready") resolve();
        else this.rounds = m.rounds;
      });
    });
    // A worker that fails after start-up only loses checkpoints (the backstop takes over).
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the worker has opened its connections. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Stops the worker after its current round. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#worker.once("exit", () => resolve());
      // held until it exits: an unref'd worker would let the process end with this promise pending
      this.#worker.ref();
      this.#worker.postMessage("close");
      // a worker stuck in a checkpoint is not waited for beyond this
      setTimeout(() => void this.#worker.terminate(), 5_000).unref();
    });
    return this.#closed;
  }
}
