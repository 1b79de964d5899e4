import { isInformationFile } from "./discoverImportFiles.ts";
import { ImportStopped } from "./ImportStopped.ts";
import type { ImportContext, Unit } from "./importTypes.ts";
import { importUnits } from "./importUnits.ts";
import { sendBundleUnit } from "./sendBundleUnit.ts";
import { sendNdjsonFile } from "./sendNdjsonFile.ts";

/**
 * Sends the files: information bundles one by one, first; the rest `concurrency` at a time,
 * packed up to `packEntries`. Resolves to why the run stopped early, or null.
 */
export async function runImportWorkers(
  files: readonly string[],
  options: { concurrency: number; packEntries: number },
  ctx: ImportContext,
): Promise<ImportStopped | null> {
  const run: { stopped: ImportStopped | null } = { stopped: null };
  const work = async (source: AsyncGenerator<Unit>): Promise<void> => {
    while (run.stopped === null) {
      const { value, done } = await source.next();
      if (done) return;
      try {
        await processUnit(value, ctx);
      } catch (error) {
        if (!(error instanceof ImportStopped)) throw error;
        run.stopped ??= error;
      }
    }
  };
  const done = ctx.tracker.state.done;
  await work(
    importUnits(
      files.filter((f) => isInformationFile(f)),
      done,
      1,
    ),
  );
  const rest = importUnits(
    files.filter((f) => !isInformationFile(f)),
    done,
    options.packEntries,
  );
  await Promise.all(Array.from({ length: options.concurrency }, () => work(rest)));
  return run.stopped;
}

async function processUnit(unit: Unit, ctx: ImportContext): Promise<void> {
  const { tracker } = ctx;
  switch (unit.kind) {
    case "skip":
      tracker.skip();
      return;
    case "bad":
      tracker.addError(`${unit.file}: ${unit.message}`);
      tracker.fail(unit.file, unit.message);
      return;
    case "ndjson":
      return sendNdjsonFile(unit.file, unit.fingerprint, ctx);
    case "bundle":
      return sendBundleUnit(unit.items, ctx);
  }
}
