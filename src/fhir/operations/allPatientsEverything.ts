import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { everythingSearchset } from "./everythingSearchset.ts";
import type { PatientEverythingDeps } from "./patientEverything.ts";

/**
 * Type-level `Patient/$everything`: every live patient's everything, one patient after the
 * other. Pages over the patients in a stable order (the order their records were first
 * written) and, within each, lists the Patient first and then its compartment in the same
 * order; `_count` (default 50, at most 1000, as the instance form), `_since`, `_type` and
 * keyset `next` links as the instance form, and each page includes the shared resources its
 * entries refer to. A next link continues exactly after the last entry sent; what that
 * guarantees while data changes is said at everyCompartmentPage. Bundle.total counts every
 * patient's compartment, a scan of them all, so it is given only under `_total=accurate`.
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export async function allPatientsEverything(
  deps: Omit<PatientEverythingDeps, "index">,
  actor: Actor,
  query: URLSearchParams,
  baseUrl: string,
): Promise<FhirResult> {
  // Every patient's compartment is for callers who may see every Patient; a confined or
  // constrained grant asks Patient/[id]/$everything of the patient it may see.
  if (deps.access !== undefined && !deps.access.unrestricted(actor, "Patient", "r"))
    throw new FhirLedgerError(
      "forbidden",
      "Patient/$everything spans every patient; the granted scopes reach some only: use Patient/[id]/$everything",
    );
  return everythingSearchset(deps, actor, { path: "/Patient/$everything", query, baseUrl }, (params, gate) =>
    deps.history.everyCompartmentPage({
      ...(params.since ? { since: params.since.iso } : {}),
      ...(params.types ? { types: params.types } : {}),
      count: params.count,
      ...(params.cursor ? { cursor: params.cursor } : {}),
      countTotal: params.total === true,
      includeReferenced: true,
      ...(gate === undefined ? {} : { gate }),
    }),
  );
}
