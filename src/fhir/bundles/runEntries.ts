import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { TransactionReceiptKey } from "../../ports/TransactionReceipts.ts";
import type { WriteOperation } from "../../records/RecordRepository.ts";
import { cachedConditionalResolver } from "../conditional/resolveConditionalReference.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { checkReadEntry } from "./checkReadEntry.ts";
import type { PlannedChange } from "./checkReadEntry.ts";
import { atEntry, errorEntry, resultEntry } from "./entryResponse.ts";
import {
  chargeRead,
  changedKeys,
  guardAsync,
  invalidError,
  maxDeletes,
  planEntry,
  prepareOperations,
  readEntry,
  referenceMapper,
  relativeBase,
  writeResponse,
} from "./entrySteps.ts";
import type { Plan } from "./entrySteps.ts";
import type { ParsedEntry } from "./parseBundle.ts";

/** R4 transaction processing order: DELETE, POST, PUT/PATCH, then GET/HEAD. */
export const ORDER: Record<ParsedEntry["method"], number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
/**
 * Runs entries as one transaction: all writes commit together or not at all, and any failing
 * write entry fails the whole (its error, naming the entry, is thrown). Identities are resolved
 * first (conditional create/update/delete by search, new ids for creates), then every reference
 * to an entry's fullUrl (absolute, or relative to the referring entry's base) and every link to
 * one in a uri element or the narrative is rewritten to Type/id, conditional references are
 * resolved (not finding what the transaction deletes), each resource is validated, and all versions are written with one `writeAll` (a conditional delete
 * matching several resources adds a delete marker for each). GET/HEAD entries are checked
 * before the commit against the state it will produce (see checkReadEntry): a failing read
 * fails the transaction like a failing write, and nothing is written. They are answered after
 * the commit and see it. Only a concurrent change between the check and the commit can still
 * make a read fail afterwards; that entry then carries its error (the writes are committed).
 * `receipt`: the transaction's idempotency key, committed with the writes (runTransactionOnce).
 * Returns the response entries in request order.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
export async function runEntries(
  deps: BundleDeps,
  entries: ParsedEntry[],
  receipt?: TransactionReceiptKey,
): Promise<Record<string, unknown>[]> {
  const ordered = [...entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  const writes = ordered.filter((e) => ORDER[e.method] < 3);
  const reads = ordered.filter((e) => ORDER[e.method] === 3);

  // 1. Who is who: resolve the identity of every write before touching any resource.
  const { plans, identities, deleted } = await planWrites(deps, writes);

  // 2. Resolve references, validate, and prepare the write operations of every changing entry.
  // conditional references see the state after the transaction's deletes (processed first)
  const resolveConditional = cachedConditionalResolver(deps.index, deleted, (t) =>
    deps.fhir.matchPolicy(deps.actor, t, "s"),
  );
  const ops: WriteOperation[] = [];
  const opsOf = new Map<Plan, { start: number; end: number }>();
  for (const plan of plans) {
    const mapReference = referenceMapper(
      identities,
      resolveConditional,
      relativeBase(plan.entry.fullUrl, deps.baseUrl),
    );
    const planOps = await guardAsync(plan.entry, () => prepareOperations(deps, plan, mapReference, identities));
    opsOf.set(plan, { start: ops.length, end: ops.length + planOps.length });
    ops.push(...planOps);
  }

  // 3. Every read must succeed on the state the writes produce, or nothing is written.
  const changes = plannedChanges(plans);
  const checked = new Map<number, Awaited<ReturnType<typeof checkReadEntry>>>();
  // The check fills a budget of its own: a response too full fails the transaction here, and
  // the answers below count again (a search is run again after the commit).
  const checking: BundleDeps = { ...deps, budget: deps.fhir.responseBudget() };
  for (const entry of reads) {
    checked.set(entry.index, await guardAsync(entry, () => checkReadEntry(checking, entry, changes)));
  }

  // 4. One atomic write.
  let results: Awaited<ReturnType<typeof deps.records.writeAll>>;
  try {
    results = ops.length === 0 ? [] : await deps.records.writeAll(ops, receipt ? { receipt } : {});
  } catch (error) {
    const failing =
      error instanceof FhirLedgerError
        ? plans.find((p) => changedKeys(p).some((key) => error.message.startsWith(`${key} `)))
        : undefined;
    throw failing ? atEntry(error, failing.entry) : error;
  }

  // 5. Responses, then the reads.
  const responses = new Map<number, Record<string, unknown>>();
  const prefer = deps.preferReturn ?? "minimal";
  for (const plan of plans) {
    const { start, end } = opsOf.get(plan.action === "same-as" ? plan.of : plan)!;
    responses.set(plan.entry.index, await writeResponse(deps, plan, results.slice(start, end), prefer));
  }
  for (const entry of reads) {
    try {
      const early = checked.get(entry.index);
      if (early !== undefined && entry.method === "GET" && deps.budget) chargeRead(deps.budget, early);
      const result = early ?? (await readEntry(deps, entry));
      responses.set(entry.index, resultEntry(deps.baseUrl, result, { includeResource: entry.method === "GET" }));
    } catch (error) {
      responses.set(entry.index, errorEntry(atEntry(error, entry)));
    }
  }
  return entries.map((e) => responses.get(e.index)!);
}

/**
 * The plan of every write entry, in processing order, the `Type/id` each fullUrl stands for,
 * and the resources the DELETE entries remove. A resource changed by two entries (also through
 * a conditional delete's matches) or a fullUrl used twice is a 400; the conditional deletes
 * together may remove at most maxDeletes.
 */
async function planWrites(
  deps: BundleDeps,
  writes: readonly ParsedEntry[],
): Promise<{ plans: Plan[]; identities: Map<string, string>; deleted: Set<string> }> {
  const identities = new Map<string, string>();
  const touched = new Set<string>();
  const plans: Plan[] = [];
  const creates = new Map<string, Plan>();
  // what the DELETE entries (first in processing order) remove: later criteria don't find it
  const deleted = new Set<string>();
  let deletes = 0;
  for (const entry of writes) {
    // The same conditional create twice in one transaction creates one resource (the search
    // can't see the first, which is not committed yet).
    const createKey =
      entry.method === "POST" && entry.ifNoneExist !== undefined
        ? `${entry.target.type}?${entry.ifNoneExist}`
        : undefined;
    const earlier = createKey === undefined ? undefined : creates.get(createKey);
    const plan: Plan =
      earlier?.action === "create"
        ? { entry, action: "same-as", type: earlier.type, id: earlier.id, of: earlier }
        : await guardAsync(entry, () => planEntry(deps, entry, deleted));
    if (createKey !== undefined && !earlier) creates.set(createKey, plan);
    for (const key of changedKeys(plan)) {
      if (touched.has(key))
        throw atEntry(invalidError(`${key} is changed by more than one entry of this transaction`), entry);
      touched.add(key);
    }
    if (entry.fullUrl !== undefined && entry.method !== "DELETE" && "id" in plan) {
      if (identities.has(entry.fullUrl))
        throw atEntry(invalidError(`fullUrl ${entry.fullUrl.slice(0, 200)} is used by more than one entry`), entry);
      identities.set(entry.fullUrl, `${plan.type}/${plan.id}`);
    }
    if (plan.action === "delete" || plan.action === "delete-matches")
      for (const key of changedKeys(plan)) deleted.add(key);
    if (plan.action === "delete-matches") deletes += plan.ids.length;
    if (deletes > maxDeletes(deps)) {
      throw atEntry(
        new FhirLedgerError(
          "precondition-failed",
          `the conditional deletes of this transaction match more than ${maxDeletes(deps)} resources in all, the most one transaction may remove; nothing was deleted, narrow the criteria`,
        ),
        entry,
      );
    }
    plans.push(plan);
  }
  return { plans, identities, deleted };
}

/** What the plans do to each resource they change, for the checks of the GET entries. */
function plannedChanges(plans: readonly Plan[]): Map<string, PlannedChange> {
  const changes = new Map<string, PlannedChange>();
  for (const plan of plans) {
    const change: PlannedChange = plan.action === "delete" || plan.action === "delete-matches" ? "delete" : "write";
    for (const key of changedKeys(plan)) changes.set(key, change);
  }
  return changes;
}
