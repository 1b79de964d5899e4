import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { findMatches } from "./findMatches.ts";
import { assertResourceType } from "./requestChecks.ts";

/**
 * `POST [type]` with `If-None-Exist: [criteria]`: no match creates (201), one match returns the
 * existing resource unchanged (200), several are a 412. The body is validated in every case.
 * Two concurrent requests with the same criteria can both create: matching and writing are not
 * one transaction (as on most servers); a unique business identifier needs a constraint.
 * @see https://hl7.org/fhir/R4/http.html#ccreate
 */
export async function conditionalCreate(
  deps: ConditionalDeps,
  type: string,
  body: unknown,
  criteria: string,
): Promise<FhirResult> {
  assertResourceType(type);
  if (
    body === null ||
    typeof body !== "object" ||
    Array.isArray(body) ||
    (body as { resourceType?: unknown }).resourceType !== type
  ) {
    throw new FhirLedgerError("invalid", `the body must be a ${type} resource`, {
      issues: [{ type: "invalid", diagnostics: "resourceType does not match the URL", expression: ["resourceType"] }],
    });
  }
  deps.validator.validate(body, { expectedType: type });
  const matches = await findMatches(deps.index, type, criteria, 2, deps.fhir.matchPolicy(deps.actor, type, "c"));
  if (matches.length > 1)
    throw new FhirLedgerError("precondition-failed", "If-None-Exist matches more than one resource");
  if (matches.length === 0) return deps.fhir.create(deps.actor, type, body);
  const stored = await deps.records.load(matches[0]!);
  return {
    status: 200,
    resource: stored.resource!,
    version: { type, id: stored.row.id, versionId: stored.row.versionId, lastUpdated: stored.row.lastUpdated },
  };
}
