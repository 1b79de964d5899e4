import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { MAX_BUNDLE_ENTRIES } from "../bundles/bundleLimits.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { informationOutcome } from "../outcome/operationOutcome.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { findDeleteMatches } from "./findDeleteMatches.ts";
import { assertResourceType, parseIfMatch } from "./requestChecks.ts";

/**
 * `DELETE [type]?[criteria]`, multiple mode: every match is deleted, all at once in one atomic
 * write of delete markers, so a failure deletes none. One match answers like a plain delete
 * (204); several answer 200 with an OperationOutcome that counts them; no match is a 200 with
 * an informational OperationOutcome (nothing to do, as R5 specifies). More matches than
 * `deps.maxDeletes` (default: the bundle entry cap, the same bound on one atomic write) is a 412
 * and deletes nothing. If-Match (`options.ifMatch`) needs exactly one match whose current
 * version it names (or `*`): anything else is a 412 and deletes nothing.
 * @see https://hl7.org/fhir/R4/http.html#3.1.0.7.1
 */
export async function conditionalDelete(
  deps: ConditionalDeps,
  type: string,
  criteria: string,
  options: { ifMatch?: string } = {},
): Promise<FhirResult> {
  assertResourceType(type);
  const matches = await findDeleteMatches(
    deps.index,
    type,
    criteria,
    deps.maxDeletes ?? MAX_BUNDLE_ENTRIES,
    deps.fhir.matchPolicy(deps.actor, type, "d"),
  );
  if (options.ifMatch !== undefined) {
    parseIfMatch(options.ifMatch); // a malformed one is a 400 whatever matched
    if (matches.length !== 1)
      throw new FhirLedgerError(
        "precondition-failed",
        `If-Match names one version, but the conditional delete criteria match ${matches.length} resources`,
      );
  }
  if (matches.length === 0)
    return {
      status: 200,
      resource: informationOutcome("no resource matched the criteria; nothing was deleted") as unknown as Record<
        string,
        unknown
      >,
    };
  if (matches.length === 1) return deps.fhir.delete(deps.actor, type, matches[0]!.id, options);
  for (const m of matches) await deps.fhir.guardWrite(deps.actor, { kind: "delete", type, id: m.id });
  const deleted = await deps.records.writeAll(matches.map((m) => ({ kind: "delete" as const, type, id: m.id })));
  const count = deleted.filter((d) => d !== null).length;
  return {
    status: 200,
    resource: informationOutcome(`deleted ${count} ${type} resources matching the criteria`) as unknown as Record<
      string,
      unknown
    >,
  };
}
