import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { SearchPolicy } from "../../ports/SearchRequest.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import { findMatches } from "./findMatches.ts";

/**
 * The matches of conditional criteria (none, one, or two when there are several) in the state
 * a transaction produces once the resources in `deleted` (`Type/id`) are gone: R4 processes a
 * transaction's DELETEs first, so a later entry's criteria must not find what they remove.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
export async function findMatchesAfterDeletes(
  index: SearchIndex,
  type: string,
  criteria: string,
  deleted: ReadonlySet<string>,
  policy?: SearchPolicy,
): Promise<VersionRow[]> {
  if (deleted.size === 0) return findMatches(index, type, criteria, 2, policy);
  let ofType = 0;
  for (const key of deleted) if (key.startsWith(`${type}/`)) ofType++;
  // ask for enough rows that two live ones remain visible past the deleted ones
  return (await findMatches(index, type, criteria, 2 + ofType, policy))
    .filter((m) => !deleted.has(`${m.type}/${m.id}`))
    .slice(0, 2);
}
