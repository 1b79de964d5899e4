import { randomUUID } from "node:crypto";
import type { WriteOperation } from "../../records/RecordRepository.ts";
import { cachedConditionalResolver } from "../conditional/resolveConditionalReference.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { atEntry, errorEntry, resultEntry } from "./entryResponse.ts";
import {
  changedKeys,
  guardAsync,
  planEntry,
  prepareOperations,
  readEntry,
  referenceMapper,
  relativeBase,
  writeResponse,
} from "./entrySteps.ts";
import type { Plan, WriteResult } from "./entrySteps.ts";
import type { ParsedBundle, ParsedEntry } from "./parseBundle.ts";

/** Writes of consecutive batch entries are committed together (one index transaction), up to about this many operations. */
const GROUP_SIZE = 250;

/**
 * Runs a batch: every entry succeeds or fails on its own, and a failure is answered in that
 * entry's response. For speed, the writes of consecutive entries are committed in groups with
 * one `writeAll`; if a group fails as a whole, its entries are written again one by one, so one
 * bad entry never takes others with it. An entry's own operations (a conditional delete has one
 * per match) are always written together, so each entry stays atomic on its own. R4 forbids interdependent batch entries, so entries may
 * not refer to each other's fullUrls (400 for that entry); as a courtesy, an entry that repeats
 * the conditional criteria or the target of a pending one sees it committed first. GET/HEAD
 * entries run after the writes.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export async function runBatch(deps: BundleDeps, entries: ParsedBundle["entries"]): Promise<Record<string, unknown>[]> {
  const responses = new Map<number, Record<string, unknown>>();
  const reads: ParsedEntry[] = [];
  const resolveConditional = cachedConditionalResolver(deps.index, undefined, (t) =>
    deps.fhir.matchPolicy(deps.actor, t, "s"),
  );
  const prefer = deps.preferReturn ?? "minimal";
  let group: { plan: Plan; ops: WriteOperation[] }[] = [];
  let groupOps = 0;
  const pendingKeys = new Set<string>();

  const flush = async () => {
    const pending = group;
    group = [];
    groupOps = 0;
    pendingKeys.clear();
    if (pending.length === 0) return;
    let results: (WriteResult | null)[] | null = null;
    try {
      results = await deps.records.writeAll(pending.flatMap((p) => p.ops));
    } catch {
      results = null;
    }
    let start = 0;
    for (const { plan, ops } of pending) {
      const end = start + ops.length;
      try {
        const planResults = results ? results.slice(start, end) : await deps.records.writeAll(ops);
        responses.set(plan.entry.index, await writeResponse(deps, plan, planResults, prefer));
      } catch (error) {
        responses.set(plan.entry.index, errorEntry(atEntry(error, { ...plan.entry, type: plan.type }), randomUUID()));
      }
      start = end;
    }
  };

  for (const item of entries) {
    if ("error" in item) {
      responses.set(item.index, errorEntry(atEntry(item.error, { index: item.index })));
      continue;
    }
    const entry = item;
    if (entry.method === "GET" || entry.method === "HEAD") {
      reads.push(entry);
      continue;
    }
    const criteria = entry.ifNoneExist ?? entry.target.query;
    const requestKey =
      criteria !== undefined
        ? `${entry.target.type}?${criteria}`
        : entry.target.id !== undefined
          ? `${entry.target.type}/${entry.target.id}`
          : null;
    if (requestKey !== null && pendingKeys.has(requestKey)) await flush();
    try {
      const plan = await guardAsync(entry, () => planEntry(deps, entry));
      const targetKeys = changedKeys(plan);
      if (targetKeys.length === 0) {
        responses.set(entry.index, await writeResponse(deps, plan, [], prefer));
        continue;
      }
      if (targetKeys.some((key) => pendingKeys.has(key))) await flush();
      // An entry may refer to its own fullUrl (e.g. a self-link); other entries' are refused.
      const own = new Map(
        entry.fullUrl === undefined || entry.method === "DELETE" ? [] : [[entry.fullUrl, targetKeys[0]!] as const],
      );
      const ops = await guardAsync(entry, () =>
        prepareOperations(
          deps,
          plan,
          referenceMapper(own, resolveConditional, relativeBase(entry.fullUrl, deps.baseUrl)),
          own,
        ),
      );
      group.push({ plan, ops });
      groupOps += ops.length;
      if (requestKey !== null) pendingKeys.add(requestKey);
      for (const key of targetKeys) pendingKeys.add(key);
      if (groupOps >= GROUP_SIZE) await flush();
    } catch (error) {
      responses.set(entry.index, errorEntry(error, randomUUID()));
    }
  }
  await flush();
  for (const entry of reads) {
    try {
      responses.set(
        entry.index,
        resultEntry(deps.baseUrl, await readEntry(deps, entry), { includeResource: entry.method === "GET" }),
      );
    } catch (error) {
      responses.set(entry.index, errorEntry(atEntry(error, { ...entry, type: entry.target.type })));
    }
  }
  return entries.map((e) => responses.get(e.index)!);
}
