import type { Actor } from "../../auth/Actor.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import { assertResourceId, assertResourceType, parseIfMatch } from "../conditional/requestChecks.ts";
import type { FhirInteractions, FhirResult } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import { preparePatch } from "./preparePatch.ts";
import type { PatchFormat } from "./preparePatch.ts";

/**
 * `PATCH [type]/[id]` with a JSON Patch (an array of operations) or a FHIRPath Patch (a
 * Parameters resource): a new version (200), If-Match honoured (412), and optimistic locking
 * against a concurrent write between read and write (412 as well). Both formats are
 * validated, checked and written the same way; `deps.actor` is who asks.
 * @see https://hl7.org/fhir/R4/http.html#patch
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export async function patchResource(
  deps: {
    records: RecordRepository;
    validator: FhirValidator;
    actor: Actor;
    fhir?: Pick<FhirInteractions, "guardWrite" | "guardExisting">;
  },
  type: string,
  id: string,
  patch: unknown,
  options: { ifMatch?: string } = {},
): Promise<FhirResult> {
  assertResourceType(type);
  assertResourceId(id);
  const format: PatchFormat = isParameters(patch) ? "fhirpath-patch" : "json-patch";
  const ifMatch = options.ifMatch === undefined ? undefined : parseIfMatch(options.ifMatch);
  await deps.fhir?.guardExisting(deps.actor, type, id, "u");
  const { current, resource } = await preparePatch(
    deps,
    type,
    id,
    patch,
    ifMatch === undefined ? { format } : { ifMatch, format },
  );
  await deps.fhir?.guardWrite(deps.actor, { kind: "write", type, id, resource });
  const stored = await deps.records.write(type, id, resource, { ifMatch: current.row.versionId });
  return {
    status: 200,
    resource: stored.resource!,
    version: { type, id, versionId: stored.row.versionId, lastUpdated: stored.row.lastUpdated },
  };
}

/** A FHIRPath Patch is a Parameters resource; anything else is taken for a JSON Patch. */
function isParameters(patch: unknown): boolean {
  return (
    patch !== null &&
    typeof patch === "object" &&
    !Array.isArray(patch) &&
    (patch as { resourceType?: unknown }).resourceType === "Parameters"
  );
}
