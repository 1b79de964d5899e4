import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { HistoryIndex } from "../../ports/HistoryIndex.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { ResponseBudget } from "../responseBudget.ts";
import type { AccessGuard } from "../engine/AccessGuard.ts";
import { everythingSearchset } from "./everythingSearchset.ts";
import { ID_PATTERN, INVALID_ID_MESSAGE } from "../ids.ts";

export interface PatientEverythingDeps {
  history: HistoryIndex;
  index: Pick<Index, "current">;
  records: RecordRepository;
  audit?: AuditTrail;
  /** A fresh budget for the response (the configured response limits). */
  budget?: () => ResponseBudget;
  /** The caller's access: the Patient must be within it, and the members shown are those searchable (`s`). */
  access?: AccessGuard;
}

/**
 * `Patient/[id]/$everything`: a searchset of the Patient and every current resource in its
 * compartment (the Patient first), with `_since`, `_type`, `_count` and keyset `next` links;
 * each page also includes the shared resources its entries refer to (Practitioner,
 * Organization, Location, Medication, ...: those in no patient compartment) as `include`.
 * Membership is the compartment the index recorded at write time (the first patient a
 * resource's compartment parameters point to).
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export async function patientEverything(
  deps: PatientEverythingDeps,
  actor: Actor,
  id: string,
  query: URLSearchParams,
  baseUrl: string,
): Promise<FhirResult> {
  if (!ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", INVALID_ID_MESSAGE);
  return everythingSearchset(
    deps,
    actor,
    { path: `/Patient/${id}/$everything`, query, baseUrl, compartment: `Patient/${id}` },
    async (params, gate) => {
      const patient = await deps.index.current("Patient", id);
      if (!patient) throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
      const access = deps.access;
      if (access !== undefined && !access.unrestricted(actor, "Patient", "r")) {
        // Outside the grant (another patient's compartment, say) is answered as unknown.
        const stored = patient.deleted ? undefined : await deps.records.read("Patient", id);
        if (stored === undefined || !access.permits(actor, "r", stored.resource!, stored.row.compartment))
          throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
      }
      if (patient.deleted) throw new FhirLedgerError("gone", `Patient/${id} was deleted`);
      return deps.history.compartmentPage({
        compartment: `Patient/${id}`,
        ...(params.since ? { since: params.since.iso } : {}),
        ...(params.types ? { types: params.types } : {}),
        count: params.count,
        ...(params.cursor ? { cursor: params.cursor } : {}),
        countTotal: true,
        includeReferenced: true,
        ...(gate === undefined ? {} : { gate }),
      });
    },
  );
}
