import type { FhirResult } from "../FhirInteractions.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { atEntry } from "./entryResponse.ts";
import { parseBundle } from "./parseBundle.ts";
import type { ParsedEntry } from "./parseBundle.ts";
import { runBatch } from "./runBatch.ts";
import { runEntries } from "./runEntries.ts";
import { runTransactionOnce } from "./runTransactionOnce.ts";

/**
 * `POST [base]` with a batch or transaction Bundle. A transaction is all or nothing: the first
 * failing entry fails the request with its status and an OperationOutcome naming the entry, and
 * nothing is stored. In a batch each entry succeeds or fails on its own, and a failure is
 * answered in that entry's response (see runBatch).
 * The response Bundle lists one response per entry, in request order. A transaction with an
 * idempotency key (see runTransactionOnce) is applied at most once.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export async function processBundle(deps: BundleDeps, body: unknown): Promise<FhirResult> {
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
    responses = await runTransactionOnce(
      deps.index,
      body,
      entries.length,
      (receipt) => runEntries(deps, entries, receipt),
      deps.requestHash,
    );
  } else {
    responses = await runBatch(deps, parsed.entries);
  }
  return {
    status: 200,
    resource: {
      resourceType: "Bundle",
      type: `${parsed.type}-response`,
      ...(responses.length > 0 ? { entry: responses } : {}),
    },
  };
}
