import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult, WriteConditions } from "../FhirInteractions.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { findMatches } from "./findMatches.ts";
import { assertResourceType, parseIfMatch } from "./requestChecks.ts";

/**
 * `PUT [type]?[criteria]`: no match creates (with the body's id when it has one: update as
 * create; else a new id), one match updates it (a body id naming another resource is a 400),
 * several are a 412. If-Match and If-None-Match apply to the resource written, as for update
 * (If-Match on a create with a new id can't hold: a 412).
 * @see https://hl7.org/fhir/R4/http.html#cond-update
 */
export async function conditionalUpdate(
  deps: ConditionalDeps,
  type: string,
  criteria: string,
  body: unknown,
  options: WriteConditions = {},
): Promise<FhirResult> {
  assertResourceType(type);
  const matches = await findMatches(deps.index, type, criteria, 2, deps.fhir.matchPolicy(deps.actor, type, "u"));
  if (matches.length > 1)
    throw new FhirLedgerError("precondition-failed", "the conditional update criteria match more than one resource");
  const bodyId = body !== null && typeof body === "object" ? (body as { id?: unknown }).id : undefined;
  if (matches.length === 0) {
    if (typeof bodyId === "string") return deps.fhir.update(deps.actor, type, bodyId, body, options);
    if (options.ifMatch !== undefined) {
      parseIfMatch(options.ifMatch);
      throw new FhirLedgerError(
        "precondition-failed",
        "If-Match names a current version, but the conditional update criteria match no resource",
      );
    }
    return deps.fhir.create(deps.actor, type, body);
  }
  const id = matches[0]!.id;
  if (bodyId !== undefined && bodyId !== id) {
    throw new FhirLedgerError(
      "invalid",
      `the id in the body (${String(bodyId).slice(0, 64)}) is not the id of the matching resource`,
      {
        issues: [
          { type: "invalid", diagnostics: "id in body differs from the matched resource", expression: [`${type}.id`] },
        ],
      },
    );
  }
  return deps.fhir.update(deps.actor, type, id, { ...(body as object), id }, options);
}
