import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { HistoryIndex } from "../../ports/HistoryIndex.ts";
import type { Index } from "../../ports/Index.ts";

/** The history queries of the index (part of the Index port). */
export function historyIndexOf(index: Index | undefined): HistoryIndex {
  if (index === undefined) throw new FhirLedgerError("internal", "history needs the index service");
  return index;
}
