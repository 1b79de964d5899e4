import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { HistoryIndex } from "../../ports/HistoryIndex.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { loadChecked } from "../history/loadChecked.ts";
import { formatHistoryParams, parseHistoryParams } from "../history/parseHistoryParams.ts";

export interface PatientEverythingDeps {
  history: HistoryIndex;
  index: Pick<Index, "current">;
  records: RecordRepository;
  audit?: AuditTrail;
}

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
/** Clinical-date filters of $everything; not supported (they need each type's clinical date). */
const UNSUPPORTED = new Set(["start", "end"]);

/**
 * `Patient/[id]/$everything`: a searchset of the Patient and every current resource in its
 * compartment (the Patient first), with `_since`, `_type`, `_count` and keyset `next` links;
 * each page also includes the shared resources its entries refer to (Practitioner,
 * Organization, Location, Medication, ...: those in no patient compartment) as `include`.
 * Membership is the compartment the index recorded at write time (the first patient a
 * resource's compartment parameters point to).
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export async function patientEverything(deps: PatientEverythingDeps, actor: Actor, id: string, query: URLSearchParams, baseUrl: string): Promise<FhirResult> {
  if (!ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", "the id is not a valid FHIR id ([A-Za-z0-9-.]{1,64})");
  const withoutDates = new URLSearchParams([...query].filter(([k]) => !UNSUPPORTED.has(k)));
  if (withoutDates.has("_at")) throw new FhirLedgerError("invalid", "_at does not apply to $everything", { issues: [{ type: "invalid", diagnostics: "_at does not apply to $everything", expression: ["_at"] }] });
  const params = parseHistoryParams(withoutDates, { allowTypes: true });
  const patient = deps.index.current("Patient", id);
  if (!patient) throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
  if (patient.deleted) throw new FhirLedgerError("gone", `Patient/${id} was deleted`);
  const page = deps.history.compartmentPage({
    compartment: `Patient/${id}`,
    ...(params.since ? { since: params.since.iso } : {}),
    ...(params.types ? { types: params.types } : {}),
    count: params.count,
    ...(params.cursor ? { cursor: params.cursor } : {}),
    countTotal: true,
    includeReferenced: true,
  });
  const [loaded, referenced] = await Promise.all([
    loadChecked(deps, actor, "operation", page.versions),
    loadChecked(deps, actor, "operation", page.referenced),
  ]);
  const path = `/Patient/${id}/$everything`;
  const link = [{ relation: "self", url: `${baseUrl}${path}?${formatHistoryParams(params, params.cursor)}` }];
  if (page.nextCursor) link.push({ relation: "next", url: `${baseUrl}${path}?${formatHistoryParams(params, page.nextCursor)}` });
  const entry: Record<string, unknown>[] = [
    ...loaded.map(({ row, resource }) => ({ fullUrl: `${baseUrl}/${row.type}/${row.id}`, resource, search: { mode: "match" } })),
    ...referenced.map(({ row, resource }) => ({ fullUrl: `${baseUrl}/${row.type}/${row.id}`, resource, search: { mode: "include" } })),
  ];
  const ignored = [...new Set([...query.keys()].filter((k) => UNSUPPORTED.has(k)).concat(params.ignored))];
  if (ignored.length > 0) {
    entry.push({
      resource: { resourceType: "OperationOutcome", issue: ignored.map((name) => ({ severity: "warning", code: "not-supported", diagnostics: `parameter ignored: ${name.slice(0, 64)}` })) },
      search: { mode: "outcome" },
    });
  }
  return { status: 200, resource: { resourceType: "Bundle", type: "searchset", ...(page.total !== null ? { total: page.total } : {}), link, ...(entry.length > 0 ? { entry } : {}) } };
}
