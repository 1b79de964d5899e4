import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { SearchPolicy } from "../../ports/SearchRequest.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import { forEachReference } from "../bundles/rewriteReferences.ts";
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
 * 412 (the condition the client relied on does not hold); bad criteria are a 400. `policyOf`:
 * the caller's search policy per type, so a reference resolves only to what the caller may search.
 * @see https://hl7.org/fhir/R4/http.html#trules (conditional references)
 */
export async function resolveConditionalReference(
  index: SearchIndex,
  reference: string,
  deleted: ReadonlySet<string> = NONE,
  policyOf?: (type: string) => SearchPolicy | undefined,
): Promise<string> {
  const m = CONDITIONAL_REFERENCE.exec(reference);
  if (!m) throw new FhirLedgerError("invalid", "not a conditional reference");
  const [, type, criteria] = m as unknown as [string, string, string];
  if (!isResourceType(type))
    throw new FhirLedgerError(
      "invalid",
      `conditional reference to an unknown resource type: ${reference.slice(0, 200)}`,
    );
  const matches = await findMatchesAfterDeletes(index, type, criteria, deleted, policyOf?.(type));
  if (matches.length !== 1) {
    throw new FhirLedgerError(
      "precondition-failed",
      `conditional reference ${reference.slice(0, 200)} matches ${matches.length === 0 ? "no resource" : "more than one resource"}; it must match exactly one`,
    );
  }
  return `${type}/${matches[0]!.id}`;
}

/**
 * Resolves conditional references while references are rewritten in one synchronous walk: the
 * searches run first, in `prefetch` over the value about to be walked, and the walk reads their
 * answers. A failed search is kept and thrown where the walk meets the reference, so errors
 * come in the order they did when the walk searched itself.
 */
export interface ConditionalResolver {
  (reference: string): string;
  /** Searches every conditional `reference` (at any depth) in `value` not searched yet. */
  prefetch(value: unknown): Promise<void>;
}

/** A resolver that searches each distinct conditional reference once (bundles repeat them). */
export function cachedConditionalResolver(
  index: SearchIndex,
  deleted: ReadonlySet<string> = NONE,
  policyOf?: (type: string) => SearchPolicy | undefined,
): ConditionalResolver {
  const cache = new Map<string, { resolved: string } | { error: unknown }>();
  const resolve = (reference: string): string => {
    const answer = cache.get(reference);
    if (answer === undefined)
      throw new FhirLedgerError(
        "internal",
        "a conditional reference was not searched before the references were mapped",
      );
    if ("error" in answer) throw answer.error;
    return answer.resolved;
  };
  resolve.prefetch = async (value: unknown): Promise<void> => {
    for (const reference of conditionalReferencesIn(value)) {
      if (cache.has(reference)) continue;
      try {
        cache.set(reference, { resolved: await resolveConditionalReference(index, reference, deleted, policyOf) });
      } catch (error) {
        cache.set(reference, { error });
      }
    }
  };
  return resolve;
}

/** Every distinct conditional `reference` string in a JSON value. */
function conditionalReferencesIn(value: unknown): Set<string> {
  const found = new Set<string>();
  if (value !== null && typeof value === "object")
    forEachReference(value, (reference) => {
      if (isConditionalReference(reference)) found.add(reference);
    });
  return found;
}
