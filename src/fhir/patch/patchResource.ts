import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import { assertResourceId, assertResourceType, parseIfMatch } from "../conditional/requestChecks.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import { preparePatch } from "./preparePatch.ts";

/**
 * `PATCH [type]/[id]` with a JSON Patch: a new version (200), If-Match honoured (412), and
 * optimistic locking against a concurrent write between read and write (412 as well).
 * FHIRPath Patch (a Parameters body) is not supported: 415.
 * @see https://hl7.org/fhir/R4/http.html#patch
 */
export async function patchResource(
  deps: { records: RecordRepository; validator: FhirValidator },
  type: string,
  id: string,
  patch: unknown,
  options: { ifMatch?: string } = {},
): Promise<FhirResult> {
  assertResourceType(type);
  assertResourceId(id);
  if (patch !== null && typeof patch === "object" && !Array.isArray(patch) && (patch as { resourceType?: unknown }).resourceType === "Parameters") {
    throw new FhirLedgerError("unsupported-media-type", "FHIRPath Patch is not supported; send a JSON Patch as application/json-patch+json");
  }
  const ifMatch = options.ifMatch === undefined ? undefined : parseIfMatch(options.ifMatch);
  const { current, resource } = await preparePatch(deps, type, id, patch, ifMatch === undefined ? {} : { ifMatch });
  const stored = await deps.records.write(type, id, resource, { ifMatch: current.row.versionId });
  return { status: 200, resource: stored.resource!, version: { type, id, versionId: stored.row.versionId, lastUpdated: stored.row.lastUpdated } };
}
