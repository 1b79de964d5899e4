import { entryRefused } from "./entryRefused.ts";
import type { BundleEntry, ImportContext } from "./importTypes.ts";

/** One NDJSON line, parsed, with its 1-based number and its text as written. */
export type NdjsonLine = { line: number; resource: unknown; text: string };

/**
 * Sends NDJSON lines as one batch Bundle and counts the answer; the numbers of the lines the
 * server refused (all of them when it refused the request).
 */
export async function sendNdjsonBatch(
  file: string,
  chunk: readonly NdjsonLine[],
  ctx: ImportContext,
): Promise<number[]> {
  const { post, tracker } = ctx;
  const entries = chunk.map((c) => toBatchEntry(c.resource, c.text));
  const answer = await post(
    `{"resourceType":"Bundle","type":"batch","entry":[${entries.map((e) => e.text).join(",")}]}`,
  );
  if (!answer.ok) {
    tracker.summary.failedEntries += chunk.length;
    tracker.addError(`${file}:${chunk[0]!.line}-${chunk.at(-1)!.line}: ${answer.message}`);
    return chunk.map((c) => c.line);
  }
  tracker.count(
    entries.map((e) => e.entry),
    answer.entries,
    (i) => `${file}:${chunk[i]!.line}`,
  );
  return chunk.filter((_, i) => entryRefused(answer.entries[i])).map((c) => c.line);
}

/** A batch entry creating or updating one NDJSON line's resource, the line's text kept as written. */
function toBatchEntry(resource: unknown, text: string): { entry: BundleEntry; text: string } {
  const r = resource as { resourceType?: string; id?: string };
  const request = r.id ? { method: "PUT", url: `${r.resourceType}/${r.id}` } : { method: "POST", url: r.resourceType };
  return { entry: { resource: r, request }, text: `{"resource":${text},"request":${JSON.stringify(request)}}` };
}
