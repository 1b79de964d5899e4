/**
 * Worker thread entry of ReaderPool: one read-only connection to the index file, answering
 * searches and history/compartment pages. Each query runs in one read transaction, so the
 * snapshot it reads (a walk's watermark and its page, a count and its page) is consistent
 * while the main thread keeps committing.
 */
import { parentPort, workerData } from "node:worker_threads";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { openSqliteFile } from "../../../sqlite/openSqliteFile.ts";
import { compartmentPage, everyCompartmentPage, historyPage } from "../historyQueries.ts";
import { registerSearchFunctions, SearchKey } from "../search/searchKey.ts";
import { searchPage } from "../searchPage.ts";
import type { ReaderRequest, ReaderResponse } from "./ReaderPool.ts";

const { path, cacheKiB, searchKey } = workerData as { path: string; cacheKiB: number; searchKey: Uint8Array };
const db = openSqliteFile(path);
registerSearchFunctions(db, new SearchKey(searchKey));
db.exec(`PRAGMA busy_timeout = 5000; PRAGMA query_only = 1; PRAGMA cache_size = -${cacheKiB};`);

function run(request: ReaderRequest): unknown {
  switch (request.kind) {
    case "search":
      return searchPage(db, request.query, request.options);
    case "history":
      return historyPage(db, request.query);
    case "compartment":
      return compartmentPage(db, request.query);
    case "everyCompartment":
      return everyCompartmentPage(db, request.query);
  }
}

parentPort?.postMessage("ready");

parentPort?.on("message", (request: ReaderRequest | "close") => {
  if (request === "close") {
    db.close();
    parentPort!.close();
    return;
  }
  let response: ReaderResponse;
  db.exec("BEGIN");
  try {
    response = { seq: request.seq, result: run(request) };
  } catch (error) {
    response =
      error instanceof FhirLedgerError
        ? { seq: request.seq, error: { code: error.code, message: error.message, issues: error.issues } }
        : {
            seq: request.seq,
            error: { code: "internal", message: String((error as Error)?.message ?? error), issues: [] },
          };
  } finally {
    db.exec("COMMIT");
  }
  parentPort!.postMessage(response);
});
