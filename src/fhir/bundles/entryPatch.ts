import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { PatchFormat } from "../patch/preparePatch.ts";

/** The patch a PATCH entry carries, and which format it is in. */
export interface EntryPatch {
  patch: unknown;
  format: PatchFormat;
}

/**
 * The patch of a PATCH entry: a Binary holding a JSON Patch (contentType
 * application/json-patch+json, base64 data), or a Parameters resource, which is a FHIRPath
 * Patch as it is. Anything else is refused: a Binary of another content type is a 415, bad
 * base64 or JSON a 400. A FHIRPath Patch is checked when it is applied (preparePatch), as for
 * `PATCH [type]/[id]`.
 * @see https://hl7.org/fhir/R4/http.html#patch
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export function entryPatch(resource: Record<string, unknown>): EntryPatch {
  if (resource.resourceType === "Parameters") return { patch: resource, format: "fhirpath-patch" };
  if (resource.resourceType !== "Binary") {
    throw new FhirLedgerError(
      "invalid",
      "a PATCH entry's resource is a Binary (JSON Patch) or a Parameters resource (FHIRPath Patch)",
    );
  }
  const contentType = typeof resource.contentType === "string" ? resource.contentType : "";
  if (!/^application\/json-patch\+json\s*(;|$)/i.test(contentType)) {
    throw new FhirLedgerError(
      "unsupported-media-type",
      "a PATCH entry's Binary must have contentType application/json-patch+json (a FHIRPath Patch goes in the entry as a Parameters resource)",
    );
  }
  if (typeof resource.data !== "string")
    throw new FhirLedgerError("bad-request", "the PATCH entry's Binary has no data");
  try {
    return { patch: JSON.parse(Buffer.from(resource.data, "base64").toString("utf8")), format: "json-patch" };
  } catch {
    throw new FhirLedgerError("bad-request", "the PATCH entry's Binary data is not base64-encoded JSON");
  }
}
