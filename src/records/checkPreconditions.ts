import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { WriteOperation } from "./RecordRepository.ts";

/**
 * The If-Match and If-None-Match of one write against the resource's current row (null when
 * absent); a 412 when one fails. If-Match: a version must be the current one (for a write, a
 * deleted resource's marker version counts, as it always did); `*` needs a current, undeleted
 * resource, and so does a delete whatever the tag. If-None-Match fails when the resource is
 * live and its version is one named (any, for `*`).
 * @see https://www.rfc-editor.org/rfc/rfc7232#section-3.1
 * @see https://hl7.org/fhir/R4/http.html#concurrency
 */
export function checkPreconditions(op: WriteOperation, current: { versionId: number; deleted: boolean } | null): void {
  const previous = current?.versionId ?? 0;
  const live = current !== null && !current.deleted;
  const { ifMatch } = op;
  if (ifMatch !== undefined && !(ifMatch === "*" ? live : ifMatch === previous && (live || op.kind === "write"))) {
    throw new FhirLedgerError(
      "precondition-failed",
      ifMatch === "*"
        ? `If-Match: * but ${op.type}/${op.id} has no current version`
        : `If-Match version ${ifMatch} does not match current version ${previous}${live ? "" : " (deleted or absent)"}`,
    );
  }
  const ifNoneMatch = op.kind === "write" ? op.ifNoneMatch : undefined;
  if (ifNoneMatch !== undefined && live && (ifNoneMatch === "*" || ifNoneMatch.includes(previous))) {
    throw new FhirLedgerError(
      "precondition-failed",
      ifNoneMatch === "*"
        ? `If-None-Match: * but ${op.type}/${op.id} exists (version ${previous})`
        : `If-None-Match names the current version ${previous} of ${op.type}/${op.id}`,
    );
  }
}
