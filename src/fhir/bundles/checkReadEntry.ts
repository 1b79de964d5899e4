import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { readShape } from "../FhirInteractions.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { readEntry } from "./entrySteps.ts";
import type { ParsedEntry } from "./parseBundle.ts";

/** What a transaction does to one resource (`Type/id`): writes a new version or deletes it. */
export type PlannedChange = "write" | "delete";

/**
 * Runs a transaction's GET/HEAD entry before the commit, as it will run after it: throws the
 * error it will fail with (so the transaction fails and nothing is written), else returns its
 * result when the commit can't change it (a read or vread of a resource the transaction does
 * not write, or of an older version), or undefined when it must run after the commit (a search,
 * or a read of what the transaction writes). A read of a resource the transaction writes or
 * deletes is predicted from the plan: a delete makes it 410, a write adds version current+1.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export async function checkReadEntry(
  deps: BundleDeps,
  entry: ParsedEntry,
  changes: ReadonlyMap<string, PlannedChange>,
): Promise<FhirResult | undefined> {
  const { type, id, vid, query } = entry.target;
  const change = id === undefined ? undefined : changes.get(`${type}/${id}`);
  if (id === undefined || change === undefined) {
    const result = await readEntry(deps, entry);
    return id === undefined ? undefined : result;
  }
  if (query !== undefined) readShape(type, new URLSearchParams(query));
  const current = await deps.index.current(type, id);
  // a delete of a resource that is absent or already deleted writes nothing
  const deletes = change === "delete" && current !== null && !current.deleted;
  if (change === "delete" && !deletes) return readEntry(deps, entry);
  const next = (current?.versionId ?? 0) + 1;
  if (vid === undefined) {
    if (deletes) throw new FhirLedgerError("gone", `${type}/${id} is deleted by this transaction`);
    return undefined;
  }
  const version = Number(vid);
  if (version < next) return readEntry(deps, entry);
  if (version > next) throw new FhirLedgerError("not-found", `${type}/${id}/_history/${version} is not known`);
  if (deletes) throw new FhirLedgerError("gone", `${type}/${id}/_history/${version} is a delete`);
  return undefined;
}
