import { createReadStream } from "node:fs";
import { readFile, readdir, stat, writeFile, rename } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { gunzipSync, createGunzip } from "node:zlib";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { arrayItemsText, memberValueText } from "../json/memberText.ts";
import { EXIT_FAILED, EXIT_OK } from "./commands.ts";

const HELP = `Usage: fhirledger import PATH... --url BASE --token TOKEN [options]

Loads FHIR data into a running server over its REST API:
  *.json, *.json.gz     a transaction or batch Bundle, POSTed as it is
  *.ndjson, *.ndjson.gz one resource per line, sent as batch Bundles (PUT when the line has an id)
Folders are read recursively; files named *Information* (organisations, practitioners) go
first, because patient bundles refer to them conditionally.

  --url BASE          the server's FHIR base URL (e.g. http://127.0.0.1:8080)
  --token TOKEN       bearer token (or FHIRLEDGER_TOKEN)
  --concurrency N     bundles in flight at once (default 2)
  --batch-size N      NDJSON lines per batch Bundle (default 500)
  --pack N            send consecutive plain transaction bundles (only POSTs, no conditions,
                      urn:uuid fullUrls) together as one transaction of up to N entries and
                      6 MiB (default 2500; 1 sends every file alone). Fewer, larger commits;
                      a pack the server refuses is sent again file by file.
  --state FILE        progress file for resuming (default .fhirledger-import.json)
  --restart           ignore an existing progress file

Interrupted imports resume where they stopped: finished files (and NDJSON lines) are skipped.
Exit code 0 when everything loaded, 1 when any entry failed, 2 for usage errors.
`;

interface ImportState {
  version: 1;
  /** path → size:mtime of each finished file, and NDJSON lines done for files in progress */
  done: Record<string, string>;
  lines: Record<string, number>;
}

interface Summary {
  files: number;
  skippedFiles: number;
  entries: number;
  failed: number;
  byType: Record<string, number>;
  errors: string[];
}

const usage = (message: string) => new FhirLedgerError("bad-request", message);

/** `fhirledger import`: bundles and NDJSON (files, folders, .gz) into a server, resumable. */
export async function importCommand(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: "string" }, token: { type: "string" }, concurrency: { type: "string" }, "batch-size": { type: "string" }, pack: { type: "string" },
        state: { type: "string" }, restart: { type: "boolean" }, help: { type: "boolean" },
      },
    });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw usage("name at least one file or folder");
  if (!values.url || !/^https?:\/\//.test(values.url)) throw usage("--url must be the server's http(s) base URL");
  const token = values.token ?? env.FHIRLEDGER_TOKEN;
  if (!token) throw usage("--token (or FHIRLEDGER_TOKEN) is required");
  const concurrency = positiveInt(values.concurrency ?? "2", "--concurrency");
  const batchSize = positiveInt(values["batch-size"] ?? "500", "--batch-size");
  const packEntries = positiveInt(values.pack ?? "2500", "--pack");
  const statePath = resolve(values.state ?? ".fhirledger-import.json");
  const base = values.url.replace(/\/+$/, "");

  const files = await discover(positionals.map((p) => resolve(p)));
  const state: ImportState = values.restart ? { version: 1, done: {}, lines: {} } : await readState(statePath);
  const summary: Summary = { files: files.length, skippedFiles: 0, entries: 0, failed: 0, byType: {}, errors: [] };
  const progress = new Progress(files.length);
  const started = performance.now();

  /**
   * POSTs a Bundle (`body`: its JSON text, as read from the files, so decimals keep their text);
   * on success counts every entry's outcome, otherwise returns the error.
   */
  const send = async (bundle: unknown, body: string): Promise<string | null> => {
    const res = await fetch(base, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", accept: "application/fhir+json" },
      body,
    });
    const answer = (await res.json().catch(() => ({}))) as { entry?: { response?: { status?: string; location?: string; outcome?: unknown } }[]; issue?: { diagnostics?: string }[] };
    if (!res.ok) return `HTTP ${res.status}: ${answer.issue?.map((i) => i.diagnostics).join("; ").slice(0, 300) ?? ""}`;
    const sent = ((bundle as { entry?: { resource?: { resourceType?: string } }[] }).entry ?? []);
    (answer.entry ?? []).forEach((e, i) => {
      const status = Number.parseInt(e.response?.status ?? "0", 10);
      if (status >= 400 || status === 0) {
        summary.failed += 1;
        if (summary.errors.length < 50) summary.errors.push(`entry ${i}: ${e.response?.status ?? "no status"} ${JSON.stringify(e.response?.outcome ?? "").slice(0, 200)}`);
      } else {
        summary.entries += 1;
        const type = sent[i]?.resource?.resourceType ?? e.response?.location?.split("/")[0] ?? "unknown";
        summary.byType[type] = (summary.byType[type] ?? 0) + 1;
      }
    });
    progress.entries(summary.entries);
    return null;
  };
  const post = async (bundle: { entry?: unknown[]; [key: string]: unknown }, body: string, label?: string): Promise<void> => {
    const error = await send(bundle, body);
    if (error === null) return;
    summary.failed += bundle.entry?.length ?? 0;
    summary.errors.push(label ? `${label}: ${error}` : error);
  };

  // Saves are chained: concurrent files must not interleave the temp-file rename.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => writeState(statePath, state)));
  const processFile = async (file: string, known?: string): Promise<void> => {
    const fingerprint = known ?? (await fingerprintOf(file));
    if (state.done[file] === fingerprint) {
      summary.skippedFiles += 1;
      progress.file();
      return;
    }
    if (/\.ndjson(\.gz)?$/i.test(file)) {
      let skip = state.lines[file] ?? 0;
      let lineNo = 0;
      let chunk: { resource: unknown; text: string }[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        const entries = chunk.map((c) => toBatchEntry(c.resource, c.text));
        await post({ resourceType: "Bundle", type: "batch", entry: entries.map((e) => e.entry) }, `{"resourceType":"Bundle","type":"batch","entry":[${entries.map((e) => e.text).join(",")}]}`);
        state.lines[file] = lineNo;
        await save();
        chunk = [];
      };
      for await (const line of readLines(file)) {
        lineNo += 1;
        if (skip > 0) {
          skip -= 1;
          continue;
        }
        if (line.trim() === "") continue;
        try {
          chunk.push({ resource: JSON.parse(line), text: line });
        } catch {
          summary.failed += 1;
          summary.errors.push(`${file}:${lineNo}: not JSON`);
        }
        if (chunk.length >= batchSize) await flush();
      }
      await flush();
    } else {
      const loaded = await loadBundle(file);
      if (loaded) await post(loaded.bundle, loaded.text, file);
    }
    await finish(file, fingerprint);
  };
  const finish = async (file: string, fingerprint: string): Promise<void> => {
    state.done[file] = fingerprint;
    delete state.lines[file];
    await save();
    progress.file();
  };
  const fingerprintOf = async (file: string): Promise<string> => {
    const info = await stat(file);
    return `${info.size}:${info.mtimeMs}`;
  };
  /** A transaction or batch Bundle file, or null (counted as failed) when it is not one. */
  const loadBundle = async (file: string): Promise<{ bundle: Bundle; text: string; bytes: number } | null> => {
    const text = await readText(file);
    const bundle = JSON.parse(text) as Bundle; // read for its shape only: the text is what is sent
    if (bundle.resourceType !== "Bundle" || !["transaction", "batch"].includes(bundle.type ?? "")) {
      summary.failed += 1;
      summary.errors.push(`${file}: not a transaction or batch Bundle`);
      return null;
    }
    return { bundle, text, bytes: text.length };
  };
  /**
   * Sends files from `queue` as packs: consecutive plain transaction bundles travel as one
   * transaction (up to --pack entries and PACK_MAX_BYTES), which the server commits at once.
   * Anything else goes alone. A refused pack is sent again file by file, so each file's
   * outcome and errors are its own (a transaction is all or nothing: nothing of it was kept).
   */
  const processQueue = async (take: () => string | undefined): Promise<void> => {
    let carry: string | undefined;
    for (let file = take(); file !== undefined; file = carry ?? take()) {
      carry = undefined;
      const fingerprint = await fingerprintOf(file);
      if (packEntries === 1 || state.done[file] === fingerprint || !/\.json(\.gz)?$/i.test(file)) {
        await processFile(file, fingerprint);
        continue;
      }
      const first = await loadBundle(file);
      if (!first || !isPackable(first.bundle)) {
        if (first) await post(first.bundle, first.text, file);
        await finish(file, fingerprint);
        continue;
      }
      const pack = [{ file, fingerprint, ...first }];
      let entries = first.bundle.entry!.length;
      let bytes = first.bytes;
      while (entries < packEntries && bytes < PACK_MAX_BYTES) {
        const candidate = take();
        if (candidate === undefined) break;
        const candidateFingerprint = await fingerprintOf(candidate);
        const loaded = state.done[candidate] === candidateFingerprint || !/\.json(\.gz)?$/i.test(candidate) ? null : await loadBundle(candidate).catch(() => null);
        if (!loaded || !isPackable(loaded.bundle) || entries + loaded.bundle.entry!.length > packEntries || bytes + loaded.bytes > PACK_MAX_BYTES) {
          carry = candidate; // sent on its own turn (loaded again: packs stay small in memory)
          break;
        }
        pack.push({ file: candidate, fingerprint: candidateFingerprint, ...loaded });
        entries += loaded.bundle.entry!.length;
        bytes += loaded.bytes;
      }
      if (pack.length === 1) {
        await post(first.bundle, first.text, file);
      } else if ((await send(packOf(pack.map((p) => p.bundle)), packText(pack.map((p) => p.text)))) !== null) {
        for (const p of pack) await post(p.bundle, p.text, p.file);
      }
      for (const p of pack) await finish(p.file, p.fingerprint);
    }
  };
  // Information bundles one by one, first; the rest `concurrency` at a time.
  const info = files.filter((f) => /information/i.test(f));
  const rest = files.filter((f) => !/information/i.test(f));
  for (const file of info) await processFile(file);
  let next = 0;
  const take = () => (next < rest.length ? rest[next++] : undefined);
  await Promise.all(Array.from({ length: Math.min(concurrency, rest.length) }, () => processQueue(take)));
  await saving;
  progress.end();
  const seconds = (performance.now() - started) / 1000;
  const types = Object.entries(summary.byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `  ${t.padEnd(28)} ${n}`).join("\n");
  process.stdout.write(
    `imported ${summary.entries} resources from ${summary.files - summary.skippedFiles} files in ${seconds.toFixed(1)} s ` +
    `(${Math.round(summary.entries / Math.max(seconds, 1e-6))}/s); ${summary.skippedFiles} files already done; ${summary.failed} failed\n${types}\n` +
    (summary.errors.length ? `errors:\n  ${summary.errors.slice(0, 20).join("\n  ")}\n` : ""),
  );
  return summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

type Bundle = { resourceType?: string; type?: string; entry?: { fullUrl?: string; request?: { method?: string; url?: string; ifNoneExist?: string; ifMatch?: string; ifNoneMatch?: string; ifModifiedSince?: string } }[] };

/** Packs stay under the server's default body limit (8 MiB). */
const PACK_MAX_BYTES = 6 * 1024 * 1024;

/**
 * A bundle whose entries can share a transaction with another's: a transaction of plain
 * creates only (POST to a type, no ifNoneExist, fullUrl a urn:uuid or absent), so
 * concatenating two changes nothing but when they commit.
 */
function isPackable(bundle: Bundle): boolean {
  return bundle.type === "transaction" && Array.isArray(bundle.entry) && bundle.entry.length > 0 && bundle.entry.every((e) =>
    e !== null && typeof e === "object" && e.request?.method === "POST" && typeof e.request.url === "string" && /^[A-Za-z]+$/.test(e.request.url) &&
    e.request.ifNoneExist === undefined && e.request.ifMatch === undefined && e.request.ifNoneMatch === undefined && e.request.ifModifiedSince === undefined &&
    (e.fullUrl === undefined || /^urn:uuid:/i.test(e.fullUrl)));
}

/** One transaction of several bundles' entries (for counting outcomes). */
function packOf(bundles: Bundle[]): Bundle {
  return { resourceType: "Bundle", type: "transaction", entry: bundles.flatMap((b) => b.entry!) };
}

/** The same transaction as JSON text: the files' entries spliced as written (decimals keep their text). */
function packText(texts: string[]): string {
  const items = texts.map((t) => arrayItemsText(memberValueText(t, "entry") ?? "[]")).filter((t) => t !== "");
  return `{"resourceType":"Bundle","type":"transaction","entry":[${items.join(",")}]}`;
}

/** A batch entry creating or updating one NDJSON line's resource, the line's text kept as written. */
function toBatchEntry(resource: unknown, text: string): { entry: Record<string, unknown>; text: string } {
  const r = resource as { resourceType?: string; id?: string };
  const request = r.id ? { method: "PUT", url: `${r.resourceType}/${r.id}` } : { method: "POST", url: r.resourceType };
  return { entry: { resource, request }, text: `{"resource":${text},"request":${JSON.stringify(request)}}` };
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw usage(`${name} must be a positive integer`);
  return n;
}

/** Files under the given paths, information bundles first, then by name. */
async function discover(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info) throw usage(`${p} does not exist`);
    if (info.isDirectory()) {
      for (const entry of await readdir(p, { recursive: true, withFileTypes: true })) {
        if ((entry.isFile() || entry.isSymbolicLink()) && /\.(nd)?json(\.gz)?$/i.test(entry.name)) out.push(join(entry.parentPath, entry.name));
      }
    } else {
      out.push(p);
    }
  }
  const rank = (f: string) => (/information/i.test(f) ? 0 : 1);
  return [...new Set(out)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function readText(file: string): Promise<string> {
  const raw = await readFile(file);
  return (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
}

function readLines(file: string): AsyncIterable<string> {
  const stream = createReadStream(file);
  return createInterface({ input: file.endsWith(".gz") ? stream.pipe(createGunzip()) : stream, crlfDelay: Infinity });
}

async function readState(path: string): Promise<ImportState> {
  try {
    const s = JSON.parse(await readFile(path, "utf8")) as ImportState;
    return s.version === 1 ? { version: 1, done: s.done ?? {}, lines: s.lines ?? {} } : { version: 1, done: {}, lines: {} };
  } catch {
    return { version: 1, done: {}, lines: {} };
  }
}

async function writeState(path: string, state: ImportState): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(state));
  await rename(`${path}.tmp`, path);
}

/** A one-line progress bar on a terminal; a line every few seconds otherwise. */
class Progress {
  readonly #total: number;
  #files = 0;
  #entries = 0;
  #last = 0;
  readonly #tty = process.stderr.isTTY === true;
  readonly #t0 = performance.now();

  constructor(total: number) {
    this.#total = total;
  }

  file(): void {
    this.#files += 1;
    this.#draw();
  }

  entries(n: number): void {
    this.#entries = n;
    this.#draw();
  }

  end(): void {
    this.#draw(true);
    if (this.#tty) process.stderr.write("\n");
  }

  #draw(force = false): void {
    const now = performance.now();
    if (!force && now - this.#last < (this.#tty ? 100 : 5000)) return;
    this.#last = now;
    const width = 30;
    const filled = Math.round((this.#files / Math.max(this.#total, 1)) * width);
    const rate = this.#entries / Math.max((now - this.#t0) / 1000, 1e-6);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#files}/${this.#total} files, ${this.#entries} resources, ${Math.round(rate)}/s`;
    process.stderr.write(this.#tty ? `\r${line}` : `${line}\n`);
  }
}
