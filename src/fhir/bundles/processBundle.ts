import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { describeEntry } from "./describeEntry.ts";
import { atEntry, bundleResponsePieces } from "./entryResponse.ts";
import { PiecesResult } from "../jsonPieces.ts";
import { parseBundle } from "./parseBundle.ts";
import type { ParsedBundle, ParsedEntry } from "./parseBundle.ts";
import { runBatch } from "./runBatch.ts";
import { runEntries } from "./runEntries.ts";
import { runTransactionOnce } from "./runTransactionOnce.ts";

/**
 * `POST [base]` with a batch or transaction Bundle. A transaction is all or nothing: the first
 * failing entry fails the request with its status and an OperationOutcome naming the entry, and
 * nothing is stored. In a batch each entry succeeds or fails on its own, and a failure is
 * answered in that entry's response (see runBatch).
 * The response Bundle lists one response per entry, in request order. A transaction with an
 * idempotency key (see runTransactionOnce) is applied at most once. The resources the GET
 * entries answer with share one budget: once the response is full, each later GET entry of a
 * batch is answered with a `too-costly` error, and a transaction fails before it writes.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export async function processBundle(bundleDeps: BundleDeps, body: unknown): Promise<FhirResult> {
  // One budget for every resource the GET entries add to the response (see ResponseBudget).
  const deps: BundleDeps = { ...bundleDeps, budget: bundleDeps.budget ?? bundleDeps.fhir.responseBudget() };
  const parsed = parseBundle(body, {
    validator: deps.validator,
    baseUrl: deps.baseUrl,
    ...(deps.maxEntries === undefined ? {} : { maxEntries: deps.maxEntries }),
  });
  let responses: Record<string, unknown>[];
  if (parsed.type === "transaction") {
    const entries: ParsedEntry[] = [];
    for (const e of parsed.entries) {
      if ("error" in e) throw atEntry(e.error, { index: e.index });
      entries.push(e);
    }
    // Every entry passes the hook before any runs: one refused entry fails the transaction.
    if (deps.hook) for (const e of entries) await deps.hook(deps.actor, describeEntry(e));
    responses = await runTransactionOnce(
      deps.index,
      body,
      entries.length,
      (receipt) => runEntries(deps, entries, receipt),
      deps.requestHash,
    );
  } else {
    // A refused batch entry is answered in its own response, like any entry that fails.
    const entries = deps.hook === undefined ? parsed.entries : await hookEntries(deps, parsed.entries);
    responses = await runBatch(deps, entries);
  }
  const entries = responses;
  return new PiecesResult(200, () => bundleResponsePieces(`${parsed.type}-response`, entries));
}

/** The batch entries with those the hook refuses (a FhirLedgerError) replaced by their error. */
async function hookEntries(deps: BundleDeps, entries: ParsedBundle["entries"]): Promise<ParsedBundle["entries"]> {
  const out: ParsedBundle["entries"] = [];
  for (const e of entries) {
    if ("error" in e) {
      out.push(e);
      continue;
    }
    try {
      await deps.hook?.(deps.actor, describeEntry(e));
      out.push(e);
    } catch (error) {
      if (!(error instanceof FhirLedgerError)) throw error;
      out.push({ index: e.index, error });
    }
  }
  return out;
}
