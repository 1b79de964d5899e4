import { writeImportState } from "../importState.ts";
import type { ImportState } from "../importState.ts";
import { entryRefused } from "./entryRefused.ts";
import type { BundleEntry, ResponseEntry } from "./importTypes.ts";
import { Progress } from "./Progress.ts";

/** What a run did, for the summary printed at its end. */
export interface ImportSummary {
  files: number;
  skippedFiles: number;
  doneFiles: number;
  entries: number;
  failedEntries: number;
  failedFiles: Map<string, string>;
  byType: Record<string, number>;
  errors: string[];
}

/**
 * The run's record of what happened: the summary, the progress bar and the progress file, kept
 * in step. Workers change them only through these methods.
 */
export class ImportTracker {
  readonly state: ImportState;
  readonly summary: ImportSummary;
  readonly #statePath: string;
  readonly #progress: Progress;
  // Saves are chained: concurrent files must not interleave the temp-file rename.
  #saving: Promise<void> = Promise.resolve();

  constructor(statePath: string, state: ImportState, files: number) {
    this.#statePath = statePath;
    this.state = state;
    this.summary = {
      files,
      skippedFiles: 0,
      doneFiles: 0,
      entries: 0,
      failedEntries: 0,
      failedFiles: new Map(),
      byType: {},
      errors: [],
    };
    this.#progress = new Progress(files);
  }

  addError(message: string): void {
    if (this.summary.errors.length < 50) this.summary.errors.push(message);
  }

  /** Writes the progress file after any write already queued. */
  save(): Promise<void> {
    this.#saving = this.#saving.then(() => writeImportState(this.#statePath, this.state));
    return this.#saving;
  }

  /** A file whose every entry the server accepted: the next run skips it. */
  async finish(file: string, fingerprint: string): Promise<void> {
    this.state.done[file] = fingerprint;
    delete this.state.lines[file];
    delete this.state.failedLines[file];
    this.summary.doneFiles += 1;
    await this.save();
    this.#progress.file();
  }

  /** A file not done: listed in the summary, left out of `done` so the next run sends it again. */
  fail(file: string, message: string): void {
    if (!this.summary.failedFiles.has(file)) this.summary.failedFiles.set(file, message);
    this.#progress.file();
  }

  /** A file the progress file lists as done already. */
  skip(): void {
    this.summary.skippedFiles += 1;
    this.#progress.file();
  }

  /** Counts the response entries to the entries sent; true when the server accepted every one. */
  count(sent: readonly BundleEntry[], responses: ResponseEntry[], where: (i: number) => string): boolean {
    let ok = true;
    sent.forEach((entry, i) => {
      const e = responses[i];
      if (entryRefused(e)) {
        ok = false;
        this.summary.failedEntries += 1;
        this.addError(`${where(i)}: ${e?.response?.status ?? "no response"} ${outcomeText(e?.response?.outcome)}`);
      } else {
        this.summary.entries += 1;
        const type = entry?.resource?.resourceType ?? e?.response?.location?.split("/")[0] ?? "unknown";
        this.summary.byType[type] = (this.summary.byType[type] ?? 0) + 1;
      }
    });
    this.#progress.entries(this.summary.entries);
    return ok;
  }

  /** Waits for the last save and draws the progress bar a last time. */
  async end(): Promise<void> {
    await this.#saving;
    this.#progress.end();
  }
}

function outcomeText(outcome: { issue?: { diagnostics?: string }[] } | undefined): string {
  return (outcome?.issue ?? [])
    .map((i) => i.diagnostics)
    .join("; ")
    .slice(0, 200);
}
