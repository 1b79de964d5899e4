import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { patchResource } from "../patch/patchResource.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { findMatches } from "./findMatches.ts";
import { assertResourceType } from "./requestChecks.ts";

/**
 * `PATCH [type]?[criteria]`: one match is patched as `PATCH [type]/[id]` would patch it; no
 * match is a 404, several a 412.
 * @see https://hl7.org/fhir/R4/http.html#patch
 */
export async function conditionalPatch(
  deps: ConditionalDeps,
  type: string,
  criteria: string,
  patch: unknown,
  options: { ifMatch?: string } = {},
): Promise<FhirResult> {
  assertResourceType(type);
  const matches = await findMatches(deps.index, type, criteria, 2, deps.fhir.matchPolicy(deps.actor, type, "u"));
  if (matches.length !== 1) {
    throw matches.length === 0
      ? new FhirLedgerError("not-found", "the conditional patch criteria match no resource")
      : new FhirLedgerError("precondition-failed", "the conditional patch criteria match more than one resource");
  }
  return patchResource(deps, type, matches[0]!.id, patch, options);
}
