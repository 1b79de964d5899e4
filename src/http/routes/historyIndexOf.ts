import type { DatabaseSync } from "node:sqlite";
import { sqliteHistoryIndex } from "../../adapters/index/sqlite/historyQueries.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { HistoryIndex } from "../../ports/HistoryIndex.ts";
import type { Index } from "../../ports/Index.ts";

const cache = new WeakMap<object, HistoryIndex>();

/**
 * The history queries of the index. Bridge until the Index port carries `historyPage` and
 * `compartmentPage` itself: then this returns the index and the SQLite import goes away.
 */
export function historyIndexOf(index: Index | undefined): HistoryIndex {
  if (index === undefined) throw new FhirLedgerError("internal", "history needs the index service");
  if (typeof (index as Partial<HistoryIndex>).historyPage === "function" && typeof (index as Partial<HistoryIndex>).compartmentPage === "function") {
    return index as unknown as HistoryIndex;
  }
  let found = cache.get(index);
  if (!found) {
    const db = (index as { db?: DatabaseSync }).db;
    if (db === undefined) throw new FhirLedgerError("internal", "this index does not support history queries");
    found = sqliteHistoryIndex(db);
    cache.set(index, found);
  }
  return found;
}
