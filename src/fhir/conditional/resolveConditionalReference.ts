import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Index } from "../../ports/Index.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import { findMatchesAfterDeletes } from "./findMatchesAfterDeletes.ts";
import { RESOURCE_TYPE_NAME_SOURCE } from "../ids.ts";

const NONE: ReadonlySet<string> = new Set();
const CONDITIONAL_REFERENCE = new RegExp(`^(${RESOURCE_TYPE_NAME_SOURCE})\\?(.*)$`, "s");

/** True for a conditional reference such as `Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123`. */
export function isConditionalReference(reference: string): boolean {
  return CONDITIONAL_REFERENCE.test(reference);
}

/**
 * Resolves a conditional reference to `Type/id` of its one current match, not counting the
 * resources in `deleted` (`Type/id`: those the transaction deletes). No match or several is a
 * 412 (the condition the client relied on does not hold); bad criteria are a 400.
 * @see https://hl7.org/fhir/R4/http.html#trules (conditional references)
 */
export function resolveConditionalReference(
  index: Index,
  reference: string,
  deleted: ReadonlySet<string> = NONE,
): string {
  const m = CONDITIONAL_REFERENCE.exec(reference);
  if (!m) throw new FhirLedgerError("invalid", "not a conditional reference");
  const [, type, criteria] = m as unknown as [string, string, string];
  if (!isResourceType(type))
    throw new FhirLedgerError(
      "invalid",
      `conditional reference to an unknown resource type: ${reference.slice(0, 200)}`,
    );
  const matches = findMatchesAfterDeletes(index, type, criteria, deleted);
  if (matches.length !== 1) {
    throw new FhirLedgerError(
      "precondition-failed",
      `conditional reference ${reference.slice(0, 200)} matches ${matches.length === 0 ? "no resource" : "more than one resource"}; it must match exactly one`,
    );
  }
  return `${type}/${matches[0]!.id}`;
}

/** A resolver that searches each distinct conditional reference once (bundles repeat them). */
export function cachedConditionalResolver(
  index: Index,
  deleted: ReadonlySet<string> = NONE,
): (reference: string) => string {
  const cache = new Map<string, string>();
  return (reference) => {
    let resolved = cache.get(reference);
    if (resolved === undefined) {
      resolved = resolveConditionalReference(index, reference, deleted);
      cache.set(reference, resolved);
    }
    return resolved;
  };
}
