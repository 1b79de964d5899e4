import { readFile, stat } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import type { Bundle, Unit } from "./importTypes.ts";

/**
 * A file as the workers take it: finished (its size:mtime is in `done`), NDJSON, a checked
 * bundle, or why it can't be sent.
 */
export async function classifyImportFile(file: string, done: Readonly<Record<string, string>>): Promise<Unit> {
  const info = await stat(file).catch((error: Error) => error);
  if (info instanceof Error) return { kind: "bad", file, message: `cannot read (${info.message})` };
  const fingerprint = `${info.size}:${info.mtimeMs}`;
  if (done[file] === fingerprint) return { kind: "skip", file };
  if (/\.ndjson(\.gz)?$/i.test(file)) return { kind: "ndjson", file, fingerprint };
  let text: string;
  try {
    text = await readText(file);
  } catch (error) {
    return { kind: "bad", file, message: `cannot read (${(error as Error).message})` };
  }
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle; // read for its shape only: the text is what is sent
  } catch (error) {
    return { kind: "bad", file, message: `not valid JSON (${(error as Error).message})` };
  }
  if (bundle === null || bundle.resourceType !== "Bundle" || !["transaction", "batch"].includes(bundle.type ?? "")) {
    return { kind: "bad", file, message: "not a transaction or batch Bundle" };
  }
  return { kind: "bundle", items: [{ file, fingerprint, bundle, text }] };
}

async function readText(file: string): Promise<string> {
  const raw = await readFile(file);
  return (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
}
