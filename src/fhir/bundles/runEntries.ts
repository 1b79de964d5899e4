import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { WriteOperation } from "../../records/RecordRepository.ts";
import { cachedConditionalResolver } from "../conditional/resolveConditionalReference.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { atEntry, errorEntry, resultEntry } from "./entryResponse.ts";
import { changedKeys, guard, guardAsync, invalidError, maxDeletes, planEntry, prepareOperations, readEntry, referenceMapper, writeResponse } from "./entrySteps.ts";
import type { Plan } from "./entrySteps.ts";
import type { ParsedEntry } from "./parseBundle.ts";

/** R4 transaction processing order: DELETE, POST, PUT/PATCH, then GET/HEAD. */
export const ORDER: Record<ParsedEntry["method"], number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
/**
 * Runs entries as one transaction: all writes commit together or not at all, and any failing
 * write entry fails the whole (its error, naming the entry, is thrown). Identities are resolved
 * first (conditional create/update/delete by search, new ids for creates), then every reference
 * to an entry's fullUrl is rewritten to Type/id and conditional references are resolved, each
 * resource is validated, and all versions are written with one `writeAll` (a conditional delete
 * matching several resources adds a delete marker for each). GET/HEAD entries run after the
 * commit and see it; as they change nothing, a failing read is answered in its own entry
 * instead of failing the transaction that is already committed.
 * Returns the response entries in request order.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
export async function runEntries(deps: BundleDeps, entries: ParsedEntry[]): Promise<Record<string, unknown>[]> {
  const ordered = [...entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  const writes = ordered.filter((e) => ORDER[e.method] < 3);
  const reads = ordered.filter((e) => ORDER[e.method] === 3);

  // 1. Who is who: resolve the identity of every write before touching any resource.
  const { plans, identities } = planWrites(deps, writes);

  // 2. Resolve references, validate, and prepare the write operations of every changing entry.
  const mapReference = referenceMapper(identities, cachedConditionalResolver(deps.index));
  const ops: WriteOperation[] = [];
  const opsOf = new Map<Plan, { start: number; end: number }>();
  for (const plan of plans) {
    const planOps = await guardAsync(plan.entry, () => prepareOperations(deps, plan, mapReference));
    opsOf.set(plan, { start: ops.length, end: ops.length + planOps.length });
    ops.push(...planOps);
  }

  // 3. One atomic write.
  let results: Awaited<ReturnType<typeof deps.records.writeAll>>;
  try {
    results = ops.length === 0 ? [] : await deps.records.writeAll(ops);
  } catch (error) {
    const failing = error instanceof FhirLedgerError ? plans.find((p) => changedKeys(p).some((key) => error.message.startsWith(`${key} `))) : undefined;
    throw failing ? atEntry(error, failing.entry) : error;
  }

  // 4. Responses, then the reads.
  const responses = new Map<number, Record<string, unknown>>();
  const representation = deps.returnRepresentation === true;
  for (const plan of plans) {
    const { start, end } = opsOf.get(plan.action === "same-as" ? plan.of : plan)!;
    responses.set(plan.entry.index, await writeResponse(deps, plan, results.slice(start, end), representation));
  }
  for (const entry of reads) {
    try {
      responses.set(entry.index, resultEntry(deps.baseUrl, await readEntry(deps, entry), { includeResource: entry.method === "GET" }));
    } catch (error) {
      responses.set(entry.index, errorEntry(atEntry(error, entry)));
    }
  }
  return entries.map((e) => responses.get(e.index)!);
}

/**
 * The plan of every write entry, in processing order, and the `Type/id` each fullUrl stands
 * for. A resource changed by two entries (also through a conditional delete's matches) or a
 * fullUrl used twice is a 400; the conditional deletes together may remove at most maxDeletes.
 */
function planWrites(deps: BundleDeps, writes: readonly ParsedEntry[]): { plans: Plan[]; identities: Map<string, string> } {
  const identities = new Map<string, string>();
  const touched = new Set<string>();
  const plans: Plan[] = [];
  const creates = new Map<string, Plan>();
  let deletes = 0;
  for (const entry of writes) {
    // The same conditional create twice in one transaction creates one resource (the search
    // can't see the first, which is not committed yet).
    const createKey = entry.method === "POST" && entry.ifNoneExist !== undefined ? `${entry.target.type}?${entry.ifNoneExist}` : undefined;
    const earlier = createKey === undefined ? undefined : creates.get(createKey);
    const plan: Plan = earlier?.action === "create"
      ? { entry, action: "same-as", type: earlier.type, id: earlier.id, of: earlier }
      : guard(entry, () => planEntry(deps, entry));
    if (createKey !== undefined && !earlier) creates.set(createKey, plan);
    for (const key of changedKeys(plan)) {
      if (touched.has(key)) throw atEntry(invalidError(`${key} is changed by more than one entry of this transaction`), entry);
      touched.add(key);
    }
    if (entry.fullUrl !== undefined && entry.method !== "DELETE" && "id" in plan) {
      if (identities.has(entry.fullUrl)) throw atEntry(invalidError(`fullUrl ${entry.fullUrl.slice(0, 200)} is used by more than one entry`), entry);
      identities.set(entry.fullUrl, `${plan.type}/${plan.id}`);
    }
    if (plan.action === "delete-matches") deletes += plan.ids.length;
    if (deletes > maxDeletes(deps)) {
      throw atEntry(new FhirLedgerError("precondition-failed", `the conditional deletes of this transaction match more than ${maxDeletes(deps)} resources in all, the most one transaction may remove; nothing was deleted, narrow the criteria`), entry);
    }
    plans.push(plan);
  }
  return { plans, identities };
}
