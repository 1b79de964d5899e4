import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResource, RecordRepository, StoredVersion } from "../../records/RecordRepository.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import { applyFhirPathPatch } from "./applyFhirPathPatch.ts";
import { applyJsonPatch } from "./applyJsonPatch.ts";

/** JSON Patch (RFC 6902, application/json-patch+json) or FHIRPath Patch (a Parameters resource). */
export type PatchFormat = "json-patch" | "fhirpath-patch";

export interface PreparedPatch {
  /** The version the patch was applied to: write with it as If-Match, so nothing is lost in between. */
  current: StoredVersion;
  resource: FhirResource;
}

/**
 * Reads type/id, checks If-Match (a version, or `*`), applies the patch (JSON Patch unless
 * `format` says otherwise) and validates the result. An invalid result is a 422 (the patch was well formed; what it
 * would produce is not), with the issues. `transform` runs on the patched resource before
 * validation (a transaction rewrites references).
 * @see https://hl7.org/fhir/R4/http.html#patch
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export async function preparePatch(
  deps: { records: RecordRepository; validator: FhirValidator },
  type: string,
  id: string,
  patch: unknown,
  options: {
    ifMatch?: number | "*";
    transform?: (resource: FhirResource) => FhirResource | Promise<FhirResource>;
    format?: PatchFormat;
  } = {},
): Promise<PreparedPatch> {
  // An absent or deleted resource is a 404 or 410 whatever If-Match says: a precondition is
  // evaluated only where the request would otherwise succeed (RFC 7232 section 5). So
  // `If-Match: *` holds whenever the read does.
  const current = await deps.records.read(type, id);
  if (options.ifMatch !== undefined && options.ifMatch !== "*" && options.ifMatch !== current.row.versionId) {
    throw new FhirLedgerError(
      "precondition-failed",
      `If-Match version ${options.ifMatch} does not match current version ${current.row.versionId}`,
    );
  }
  let resource =
    options.format === "fhirpath-patch"
      ? applyFhirPathPatch(current.resource!, patch)
      : applyJsonPatch(current.resource!, patch);
  if (
    resource === null ||
    typeof resource !== "object" ||
    Array.isArray(resource) ||
    resource.resourceType !== type ||
    resource.id !== id
  ) {
    throw new FhirLedgerError(
      "unprocessable",
      "the patch must not replace the resource, nor change its resourceType or id",
      { issues: [{ type: "business-rule", diagnostics: "resourceType and id are immutable" }] },
    );
  }
  if (options.transform) resource = await options.transform(resource);
  try {
    deps.validator.validate(resource, { expectedType: type });
  } catch (error) {
    if (error instanceof FhirLedgerError && error.code === "invalid") {
      throw new FhirLedgerError("unprocessable", `the patched resource is not valid: ${error.message}`, {
        issues: error.issues,
        cause: error,
      });
    }
    throw error;
  }
  return { current, resource };
}
