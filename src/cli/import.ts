import { EXIT_FAILED, EXIT_OK } from "./commands.ts";
import { createBundlePoster } from "./import/createBundlePoster.ts";
import { discoverImportFiles } from "./import/discoverImportFiles.ts";
import { ImportTracker } from "./import/ImportTracker.ts";
import { parseImportOptions } from "./import/parseImportOptions.ts";
import { printImportSummary } from "./import/printImportSummary.ts";
import { runImportWorkers } from "./import/runImportWorkers.ts";
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

/** `fhirledger import`: bundles and NDJSON (files, folders, .gz) into a server, resumable. */
export async function importCommand(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const options = parseImportOptions(argv, env);
  if (options === "help") {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const files = await discoverImportFiles(options.paths);
  const state = options.restart ? newImportState() : await readImportState(options.statePath);
  await writeImportState(options.statePath, state); // the import id is on disk before anything is sent
  const tracker = new ImportTracker(options.statePath, state, files.length);
  const started = performance.now();
  const ctx = { post: createBundlePoster(options), tracker, batchSize: options.batchSize };
  const stopped = await runImportWorkers(files, options, ctx);
  await tracker.end();
  printImportSummary(tracker.summary, (performance.now() - started) / 1000);
  if (stopped) {
    process.stderr.write(
      `fhirledger import: stopped: ${stopped.message}; nothing more was sent, files not listed as done are sent by the next run\n`,
    );
    return EXIT_FAILED;
  }
  const { failedFiles, failedEntries } = tracker.summary;
  return failedFiles.size > 0 || failedEntries > 0 ? EXIT_FAILED : EXIT_OK;
}
