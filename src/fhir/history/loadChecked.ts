import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import type { RecordRepository, StoredVersion } from "../../records/RecordRepository.ts";

/**
 * Decrypts and checks versions (delete markers pass through without a resource). A version
 * that fails its integrity check is audited as a serious failure and the request fails:
 * nothing unverified is served.
 */
export async function loadChecked(
  deps: { records: RecordRepository; audit?: AuditTrail },
  actor: Actor,
  subtype: string,
  rows: VersionRow[],
): Promise<StoredVersion[]> {
  return Promise.all(
    rows.map(async (row) => {
      if (row.deleted) return { row, resource: null };
      try {
        return await deps.records.load(row);
      } catch (error) {
        if (error instanceof FhirLedgerError && error.code === "integrity") {
          await deps.audit
            ?.record({
              action: "R",
              subtype,
              outcome: "8",
              actor,
              entity: `${row.type}/${row.id}`,
              description: "stored record failed its integrity check; not served",
            })
            .catch(() => undefined);
        }
        throw error;
      }
    }),
  );
}
