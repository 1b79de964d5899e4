import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { gunzipSync, createGunzip } from "node:zlib";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { arrayItemsText, memberValueText } from "../json/memberText.ts";
import { EXIT_FAILED, EXIT_OK } from "./commands.ts";
import { newImportState, readImportState, writeImportState } from "./importState.ts";

const HELP = `Usage: fhirledger import PATH... --url BASE --token TOKEN [options]

Loads FHIR data into a running server over its REST API:
  *.json, *.json.gz     a transaction or batch Bundle
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
  --restart           ignore an existing progress file (a new import: everything is sent again)

A file is done when the server accepted every entry of it; a file that failed (a refused
bundle, a bad line, unreadable or not JSON) is listed in the summary and sent again by the next
run. Every transaction carries an idempotency key (Bundle.identifier) derived from the progress
file and its content: when a run is killed after the server committed a transaction but
before the progress file said so, the next run's repeat is answered without being applied
again. NDJSON lines go in batches: a line with an id is a PUT (a repeat changes nothing), a
line without one a POST, which a killed run may send twice.
A 401/403 or an unreachable server stops the run at once.
Exit code 0 when everything loaded, 1 when anything failed, 2 for usage errors.
`;

/** The Bundle.identifier system the server deduplicates transactions by (runTransactionOnce). */
const IDEMPOTENCY_SYSTEM = "urn:fhirledger:idempotency";

interface Summary {
  files: number;
  skippedFiles: number;
  doneFiles: number;
  entries: number;
  failedEntries: number;
  failedFiles: Map<string, string>;
  byType: Record<string, number>;
  errors: string[];
}

type ResponseEntry = { response?: { status?: string; location?: string; outcome?: { issue?: { diagnostics?: string }[] } } };
/** A bundle file, read and checked. */
type Item = { file: string; fingerprint: string; bundle: Bundle; text: string };
/** What the workers take, in file order (see units). */
type Unit =
  | { kind: "skip"; file: string }
  | { kind: "bad"; file: string; message: string }
  | { kind: "ndjson"; file: string; fingerprint: string }
  | { kind: "bundle"; items: Item[] };

/** The server refused the token or can't be reached: nothing more is sent. */
class ImportStopped extends Error {}

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
  if (/^https?:\/\/[^/?#]*@/.test(values.url)) throw usage("--url must not hold a user or password: the token goes in --token");
  const token = values.token ?? env.FHIRLEDGER_TOKEN;
  if (!token) throw usage("--token (or FHIRLEDGER_TOKEN) is required");
  const concurrency = positiveInt(values.concurrency ?? "2", "--concurrency");
  const batchSize = positiveInt(values["batch-size"] ?? "500", "--batch-size");
  const packEntries = positiveInt(values.pack ?? "2500", "--pack");
  const statePath = resolve(values.state ?? ".fhirledger-import.json");
  const base = values.url.replace(/\/+$/, "");
  const endpoint = withoutCredentials(base);

  const files = await discover(positionals.map((p) => resolve(p)));
  const state = values.restart ? newImportState() : await readImportState(statePath);
  await writeImportState(statePath, state); // the import id is on disk before anything is sent
  const summary: Summary = { files: files.length, skippedFiles: 0, doneFiles: 0, entries: 0, failedEntries: 0, failedFiles: new Map(), byType: {}, errors: [] };
  const progress = new Progress(files.length);
  const started = performance.now();
  const addError = (message: string) => {
    if (summary.errors.length < 50) summary.errors.push(message);
  };

  /** POSTs a Bundle's JSON text; the response entries, or why the whole request was refused. */
  const send = async (body: string): Promise<{ ok: true; entries: ResponseEntry[] } | { ok: false; message: string }> => {
    let res: Response;
    try {
      res = await fetch(base, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/fhir+json", accept: "application/fhir+json" },
        body,
      });
    } catch (error) {
      throw new ImportStopped(`cannot reach the server at ${endpoint} (${reasonOf(error)})`);
    }
    const answer = (await res.json().catch(() => ({}))) as { entry?: ResponseEntry[]; issue?: { diagnostics?: string }[] };
    const diagnostics = (answer.issue ?? []).map((i) => i.diagnostics).join("; ").slice(0, 300);
    if (res.status === 401 || res.status === 403) {
      throw new ImportStopped(`the server at ${endpoint} refused the token (HTTP ${res.status}${diagnostics ? `: ${diagnostics}` : ""})`);
    }
    if (res.status === 413) {
      const mb = (Buffer.byteLength(body) / 1024 / 1024).toFixed(1);
      return { ok: false, message: `HTTP 413: the server takes smaller requests than this ${mb} MB bundle; raise FHIRLEDGER_MAX_BODY_BYTES on the server and run the import again` };
    }
    if (!res.ok) return { ok: false, message: `HTTP ${res.status}: ${diagnostics}` };
    return { ok: true, entries: answer.entry ?? [] };
  };

  // Saves are chained: concurrent files must not interleave the temp-file rename.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => writeImportState(statePath, state)));
  const finish = async (file: string, fingerprint: string): Promise<void> => {
    state.done[file] = fingerprint;
    delete state.lines[file];
    delete state.failedLines[file];
    summary.doneFiles += 1;
    await save();
    progress.file();
  };
  /** A file not done: listed in the summary, left out of `done` so the next run sends it again. */
  const fail = (file: string, message: string): void => {
    if (!summary.failedFiles.has(file)) summary.failedFiles.set(file, message);
    progress.file();
  };
  /** Counts a file's response entries; true when the server accepted every one. */
  const count = (item: Item, responses: ResponseEntry[], where: (i: number) => string): boolean => {
    const sent = item.bundle.entry ?? [];
    let ok = true;
    sent.forEach((entry, i) => {
      const e = responses[i];
      const status = Number.parseInt(e?.response?.status ?? "0", 10);
      if (status >= 400 || status === 0) {
        ok = false;
        summary.failedEntries += 1;
        addError(`${where(i)}: ${e?.response?.status ?? "no response"} ${outcomeText(e?.response?.outcome)}`);
      } else {
        summary.entries += 1;
        const type = entry?.resource?.resourceType ?? e?.response?.location?.split("/")[0] ?? "unknown";
        summary.byType[type] = (summary.byType[type] ?? 0) + 1;
      }
    });
    progress.entries(summary.entries);
    return ok;
  };

  /**
   * Sends one file's Bundle, or a pack of files' transactions as one transaction (with an
   * idempotency key either way). A pack the server refuses kept nothing: its files are sent
   * again one by one, so each file's outcome and errors are its own.
   */
  const sendItems = async (items: Item[]): Promise<void> => {
    const transaction = items[0]!.bundle.type === "transaction";
    const body = transaction ? transactionText(items.map((i) => i.text), idempotencyKey(state.importId, items)) : items[0]!.text;
    const answer = await send(body);
    if (!answer.ok && items.length > 1) {
      for (const item of items) await sendItems([item]);
      return;
    }
    let offset = 0;
    for (const item of items) {
      const n = item.bundle.entry?.length ?? 0;
      if (!answer.ok) {
        summary.failedEntries += n;
        addError(`${item.file}: ${answer.message}`);
        fail(item.file, answer.message);
      } else if (count(item, answer.entries.slice(offset, offset + n), (i) => `${item.file}: entry ${i}`)) {
        await finish(item.file, item.fingerprint);
      } else {
        fail(item.file, "entries failed");
      }
      offset += n;
    }
  };

  /**
   * One NDJSON file in batches. Lines the server refused (and lines that are not JSON) are kept
   * in `failedLines`: the next run sends those and the lines after `lines`, nothing else.
   */
  const sendNdjson = async (file: string, fingerprint: string): Promise<void> => {
    const before = state.lines[file] ?? 0;
    const retry = new Set(state.failedLines[file] ?? []);
    const failed: number[] = [];
    let lineNo = 0;
    let chunk: { line: number; resource: unknown; text: string }[] = [];
    const flush = async () => {
      if (chunk.length > 0) {
        const entries = chunk.map((c) => toBatchEntry(c.resource, c.text));
        const bundle = { resourceType: "Bundle", type: "batch", entry: entries.map((e) => e.entry) } as Bundle;
        const answer = await send(`{"resourceType":"Bundle","type":"batch","entry":[${entries.map((e) => e.text).join(",")}]}`);
        if (!answer.ok) {
          summary.failedEntries += chunk.length;
          addError(`${file}:${chunk[0]!.line}-${chunk.at(-1)!.line}: ${answer.message}`);
          failed.push(...chunk.map((c) => c.line));
        } else {
          count({ file, fingerprint, bundle, text: "" }, answer.entries, (i) => `${file}:${chunk[i]!.line}`);
          chunk.forEach((c, i) => {
            const status = Number.parseInt(answer.entries[i]?.response?.status ?? "0", 10);
            if (status >= 400 || status === 0) failed.push(c.line);
          });
        }
        chunk = [];
      }
      state.lines[file] = Math.max(before, lineNo);
      state.failedLines[file] = [...[...retry].filter((l) => l > lineNo), ...failed];
      await save();
    };
    try {
      for await (const line of readLines(file)) {
        lineNo += 1;
        if (lineNo <= before && !retry.has(lineNo)) continue;
        if (line.trim() === "") continue;
        try {
          chunk.push({ line: lineNo, resource: JSON.parse(line), text: line });
        } catch (error) {
          summary.failedEntries += 1;
          addError(`${file}:${lineNo}: not JSON (${(error as Error).message})`);
          failed.push(lineNo);
        }
        if (chunk.length >= batchSize) await flush();
      }
      await flush();
    } catch (error) {
      if (error instanceof ImportStopped) throw error;
      // unreadable (e.g. not gzip): what was sent stays counted; the rest waits for a re-run
      const message = `${file}:${lineNo + 1}: cannot read (${(error as Error).message})`;
      addError(message);
      fail(file, message);
      return;
    }
    if (failed.length === 0) await finish(file, fingerprint);
    else fail(file, `${failed.length} lines failed (first: line ${failed[0]})`);
  };

  const processUnit = async (unit: Unit): Promise<void> => {
    switch (unit.kind) {
      case "skip":
        summary.skippedFiles += 1;
        progress.file();
        return;
      case "bad":
        addError(`${unit.file}: ${unit.message}`);
        fail(unit.file, unit.message);
        return;
      case "ndjson":
        return sendNdjson(unit.file, unit.fingerprint);
      case "bundle":
        return sendItems(unit.items);
    }
  };

  /** A file as the workers take it: finished, NDJSON, a checked bundle, or why it can't be sent. */
  const classify = async (file: string): Promise<Unit> => {
    const info = await stat(file).catch((error: Error) => error);
    if (info instanceof Error) return { kind: "bad", file, message: `cannot read (${info.message})` };
    const fingerprint = `${info.size}:${info.mtimeMs}`;
    if (state.done[file] === fingerprint) return { kind: "skip", file };
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
  };

  /**
   * The files as units of work, in order: consecutive plain transaction bundles are packed
   * (up to --pack entries and PACK_MAX_BYTES). One generator forms the packs for every worker,
   * so the packs, and with them their idempotency keys, depend only on the files and the
   * progress file, never on timing: a resumed run sends the same packs again.
   */
  async function* units(list: readonly string[], packing: boolean): AsyncGenerator<Unit> {
    let next = 0;
    let held: Unit | undefined; // loaded as a candidate that did not fit the pack: its own turn next
    const take = async (): Promise<Unit | undefined> => {
      if (held) {
        const unit = held;
        held = undefined;
        return unit;
      }
      return next < list.length ? classify(list[next++]!) : undefined;
    };
    for (let unit = await take(); unit !== undefined; unit = await take()) {
      if (!packing || unit.kind !== "bundle" || !isPackable(unit.items[0]!.bundle)) {
        yield unit;
        continue;
      }
      const items = [...unit.items];
      let entries = items[0]!.bundle.entry!.length;
      let bytes = items[0]!.text.length;
      while (entries < packEntries && bytes < PACK_MAX_BYTES) {
        const candidate = await take();
        if (candidate === undefined) break;
        const item = candidate.kind === "bundle" ? candidate.items[0]! : undefined;
        if (!item || !isPackable(item.bundle) || entries + item.bundle.entry!.length > packEntries || bytes + item.text.length > PACK_MAX_BYTES) {
          held = candidate;
          break;
        }
        items.push(item);
        entries += item.bundle.entry!.length;
        bytes += item.text.length;
      }
      yield { kind: "bundle", items };
    }
  }

  const run: { stopped: ImportStopped | null } = { stopped: null };
  const work = async (source: AsyncGenerator<Unit>): Promise<void> => {
    while (run.stopped === null) {
      const { value, done } = await source.next();
      if (done) return;
      try {
        await processUnit(value);
      } catch (error) {
        if (!(error instanceof ImportStopped)) throw error;
        run.stopped ??= error;
      }
    }
  };
  // Information bundles one by one, first; the rest `concurrency` at a time.
  await work(units(files.filter((f) => /information/i.test(f)), false));
  const rest = units(files.filter((f) => !/information/i.test(f)), packEntries > 1);
  await Promise.all(Array.from({ length: concurrency }, () => work(rest)));
  await saving;
  progress.end();
  const seconds = (performance.now() - started) / 1000;
  const types = Object.entries(summary.byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `  ${t.padEnd(28)} ${n}\n`).join("");
  const failedFiles = [...summary.failedFiles].slice(0, 50).map(([file, why]) => `  ${file}: ${why}`).join("\n");
  process.stdout.write(
    `imported ${summary.entries} resources from ${summary.doneFiles} files in ${seconds.toFixed(1)} s ` +
    `(${Math.round(summary.entries / Math.max(seconds, 1e-6))}/s); ${summary.skippedFiles} files already done; ` +
    `${summary.failedFiles.size} files failed, ${summary.failedEntries} entries failed\n${types}` +
    (failedFiles ? `failed files (not marked done: run the import again to retry them):\n${failedFiles}\n` : "") +
    (summary.errors.length ? `errors:\n  ${summary.errors.slice(0, 20).join("\n  ")}\n` : ""),
  );
  if (run.stopped) {
    process.stderr.write(`fhirledger import: stopped: ${run.stopped.message}; nothing more was sent, files not listed as done are sent by the next run\n`);
    return EXIT_FAILED;
  }
  return summary.failedFiles.size > 0 || summary.failedEntries > 0 ? EXIT_FAILED : EXIT_OK;
}

/** The idempotency key of a transaction: this import, and each file's path and content. */
function idempotencyKey(importId: string, items: readonly Item[]): string {
  const hash = createHash("sha256").update(importId);
  for (const item of items) hash.update(`\n${item.file}\n`).update(createHash("sha256").update(item.text).digest("hex"));
  return hash.digest("hex");
}

/** A URL for messages: no user, password, query or fragment. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, "");
}

/** Why fetch failed, in a few words (its message is only "fetch failed"). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function outcomeText(outcome: { issue?: { diagnostics?: string }[] } | undefined): string {
  return (outcome?.issue ?? []).map((i) => i.diagnostics).join("; ").slice(0, 200);
}

type Bundle = { resourceType?: string; type?: string; entry?: { fullUrl?: string; resource?: { resourceType?: string }; request?: { method?: string; url?: string; ifNoneExist?: string; ifMatch?: string; ifNoneMatch?: string; ifModifiedSince?: string } }[] };

/** Packs stay well under the server's default body limit (32 MiB; it was 8 MiB). */
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

/**
 * One transaction of the files' entries, spliced as written (decimals keep their text), with the
 * idempotency key as its Bundle.identifier (a file's own identifier is not sent: a transaction
 * Bundle is not stored).
 */
function transactionText(texts: string[], key: string): string {
  const items = texts.map((t) => arrayItemsText(memberValueText(t, "entry") ?? "[]")).filter((t) => t !== "");
  const identifier = JSON.stringify({ system: IDEMPOTENCY_SYSTEM, value: key });
  return `{"resourceType":"Bundle","type":"transaction","identifier":${identifier},"entry":[${items.join(",")}]}`;
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
