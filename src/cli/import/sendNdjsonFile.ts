import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { ImportStopped } from "./ImportStopped.ts";
import type { ImportContext } from "./importTypes.ts";
import { sendNdjsonBatch } from "./sendNdjsonBatch.ts";
import type { NdjsonLine } from "./sendNdjsonBatch.ts";

/**
 * One NDJSON file in batches. Lines the server refused (and lines that are not JSON) are kept
 * in `failedLines`: the next run sends those and the lines after `lines`, nothing else.
 */
export async function sendNdjsonFile(file: string, fingerprint: string, ctx: ImportContext): Promise<void> {
  const { tracker } = ctx;
  const { state } = tracker;
  const before = state.lines[file] ?? 0;
  const retry = new Set(state.failedLines[file] ?? []);
  const failed: number[] = [];
  let lineNo = 0;
  let chunk: NdjsonLine[] = [];
  /** Sends what is gathered and records in the progress file how far the file got. */
  const flush = async () => {
    if (chunk.length > 0) failed.push(...(await sendNdjsonBatch(file, chunk, ctx)));
    chunk = [];
    state.lines[file] = Math.max(before, lineNo);
    state.failedLines[file] = [...[...retry].filter((l) => l > lineNo), ...failed];
    await tracker.save();
  };
  try {
    for await (const line of readLines(file)) {
      lineNo += 1;
      if (lineNo <= before && !retry.has(lineNo)) continue;
      if (line.trim() === "") continue;
      try {
        chunk.push({ line: lineNo, resource: JSON.parse(line), text: line });
      } catch (error) {
        tracker.summary.failedEntries += 1;
        tracker.addError(`${file}:${lineNo}: not JSON (${(error as Error).message})`);
        failed.push(lineNo);
      }
      if (chunk.length >= ctx.batchSize) await flush();
    }
    await flush();
  } catch (error) {
    if (error instanceof ImportStopped) throw error;
    // unreadable (e.g. not gzip): what was sent stays counted; the rest waits for a re-run
    const message = `${file}:${lineNo + 1}: cannot read (${(error as Error).message})`;
    tracker.addError(message);
    tracker.fail(file, message);
    return;
  }
  if (failed.length === 0) await tracker.finish(file, fingerprint);
  else tracker.fail(file, `${failed.length} lines failed (first: line ${failed[0]})`);
}

function readLines(file: string): AsyncIterable<string> {
  const stream = createReadStream(file);
  return createInterface({ input: file.endsWith(".gz") ? stream.pipe(createGunzip()) : stream, crlfDelay: Infinity });
}
