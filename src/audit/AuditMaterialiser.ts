import type { Index } from "../ports/Index.ts";
import type { FhirResource, RecordRepository } from "../records/RecordRepository.ts";
import type { AuditJournal } from "./AuditJournal.ts";

export interface AuditMaterialiserOptions {
  journal: AuditJournal;
  records: RecordRepository;
  index: Pick<Index, "current">;
  /** Entries per drained batch (one records transaction each); default 256. */
  batch?: number;
  /** How long after an append the background drain starts, ms; default 100. */
  delayMs?: number;
  log?: (message: string, error: unknown) => void;
}

/**
 * Drains the audit journal into AuditEvent resources through the records pipeline (encrypted
 * under the shared key, indexed, anchored like every record; compartment null so an erasure
 * does not shred its own audit trail). Each entry is written under the id fixed in its journal
 * row, and ids already stored are skipped, so a crash between the write and the journal's
 * removal neither loses nor duplicates an event. One drain runs at a time.
 */
export class AuditMaterialiser {
  readonly #o: AuditMaterialiserOptions;
  readonly #batch: number;
  /** The last drain queued: the next one starts after it. */
  #tail: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AuditMaterialiserOptions) {
    this.#o = options;
    this.#batch = options.batch ?? 256;
  }

  /** Asks for a background drain soon (after appends); errors are logged and retried on the next one. */
  schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.drain().catch((error) => this.#o.log?.("audit materialisation failed; retried later", error));
    }, this.#o.delayMs ?? 100);
    this.#timer.unref?.();
  }

  /**
   * Drains everything journalled so far (before an AuditEvent search, at start and on close):
   * what is appended meanwhile is left to the next drain, so a flush ends under any load.
   * Drains run one after the other.
   */
  drain(): Promise<void> {
    const target = this.#o.journal.lastSeq();
    const run = this.#tail.then(async () => {
      while ((await this.#drainBatch(target)) > 0);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stops the background drain and drains what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.drain();
  }

  async #drainBatch(upToSeq: number): Promise<number> {
    const { journal, records, index } = this.#o;
    const entries = await journal.read(0, this.#batch, upToSeq);
    if (entries.length === 0) return 0;
    const fresh = [];
    for (const e of entries) {
      const stored = await index.current("AuditEvent", e.id);
      if (stored === null || stored === undefined) fresh.push(e);
    }
    if (fresh.length > 0)
      await records.writeAll(
        fresh.map((e) => ({
          kind: "write" as const,
          type: "AuditEvent",
          id: e.id,
          resource: { ...e.event, id: e.id } as FhirResource,
          mustNotExist: true,
          compartment: null,
        })),
      );
    await journal.remove(entries[entries.length - 1]!.seq);
    return entries.length;
  }
}
