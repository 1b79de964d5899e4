import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { informationOutcome } from "../outcome/operationOutcome.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { findMatches } from "./findMatches.ts";
import { assertResourceType } from "./requestChecks.ts";

/**
 * `DELETE [type]?[criteria]`, single-resource mode: one match is deleted (204), no match is a
 * 200 with an informational OperationOutcome (nothing to do, as R5 specifies), several are a 412.
 * @see https://hl7.org/fhir/R4/http.html#3.1.0.7.1
 */
export async function conditionalDelete(deps: ConditionalDeps, type: string, criteria: string): Promise<FhirResult> {
  assertResourceType(type);
  const matches = findMatches(deps.index, type, criteria);
  if (matches.length > 1) throw new FhirLedgerError("precondition-failed", "the conditional delete criteria match more than one resource (this server deletes one at a time)");
  if (matches.length === 0) return { status: 200, resource: informationOutcome("no resource matched the criteria; nothing was deleted") as unknown as Record<string, unknown> };
  return deps.fhir.delete(type, matches[0]!.id);
}
