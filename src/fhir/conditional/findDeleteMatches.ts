import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { SearchPolicy } from "../../ports/SearchRequest.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import { findMatches } from "./findMatches.ts";

/**
 * The current resources a conditional delete (multiple mode) removes: every match of the
 * criteria, at most `max` of them. More matches than `max` is a 412, before anything is
 * deleted: one conditional delete is one atomic write, and that write is bounded.
 * @see https://hl7.org/fhir/R4/http.html#3.1.0.7.1
 */
export async function findDeleteMatches(
  index: SearchIndex,
  type: string,
  criteria: string,
  max: number,
  policy?: SearchPolicy,
): Promise<VersionRow[]> {
  const matches = await findMatches(index, type, criteria, max + 1, policy);
  if (matches.length > max) {
    throw new FhirLedgerError(
      "precondition-failed",
      `the conditional delete criteria match more than ${max} resources, the most one delete may remove; nothing was deleted, narrow the criteria`,
    );
  }
  return matches;
}
