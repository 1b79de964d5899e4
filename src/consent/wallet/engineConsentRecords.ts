import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { FhirEngine } from "../../fhir/engine/FhirEngine.ts";
import type { FhirRequest, FhirResponse } from "../../fhir/engine/FhirRequest.ts";
import type { ConsentOwner, StoredConsent, WalletConsentRecords } from "./WalletConsentRecords.ts";

const PATIENT_REFERENCE = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The signed-in patient as the engine sees them (the account as the agent): their own Consents only, by their own scopes. */
function patientActor({ userId, patient }: ConsentOwner): Actor {
  const match = PATIENT_REFERENCE.exec(patient);
  if (!match) throw new FhirLedgerError("invalid", "not a patient reference");
  return {
    id: userId,
    role: "patient",
    scopes: ["patient/Consent.cruds"],
    patient: match[1]!,
    fhirUser: patient,
  };
}

/** WalletConsentRecords through FhirEngine.handle, acting as the patient. */
export function engineConsentRecords(engine: FhirEngine, baseUrl: () => string): WalletConsentRecords {
  const request = (r: Partial<FhirRequest> & Pick<FhirRequest, "method" | "path">): FhirRequest => ({
    query: new URLSearchParams(),
    rawQuery: "",
    headers: {},
    baseUrl: baseUrl(),
    ...r,
  });
  const stored = (response: FhirResponse): StoredConsent | undefined => {
    const resource = response.resource;
    const version = response.version;
    if (!resource || !version) return undefined;
    return { id: version.id, versionId: version.versionId, resource };
  };
  return {
    async list(owner, max) {
      const actor = patientActor(owner);
      const patient = owner.patient;
      const query = new URLSearchParams({
        patient,
        scope: "http://terminology.hl7.org/CodeSystem/consentscope|patient-privacy",
        _sort: "-_lastUpdated",
        _count: String(max),
      });
      const response = await engine.handle(
        actor,
        request({ method: "GET", path: ["Consent"], query, rawQuery: query.toString() }),
      );
      if (response.status !== 200) throw new FhirLedgerError("unavailable", "the consents could not be listed");
      const entries = (
        (response.resource?.entry ?? []) as { resource?: Record<string, unknown>; search?: { mode?: string } }[]
      )
        .filter((e) => e.resource?.resourceType === "Consent" && e.search?.mode !== "include")
        .map((e) => e.resource!);
      return entries.map((resource) => ({
        id: String(resource.id),
        versionId: Number((resource.meta as { versionId?: string } | undefined)?.versionId ?? 0),
        resource,
      }));
    },
    async get(owner, id) {
      const patient = owner.patient;
      if (!ID.test(id)) return undefined;
      try {
        const response = await engine.handle(patientActor(owner), request({ method: "GET", path: ["Consent", id] }));
        const consent = response.status === 200 ? stored(response) : undefined;
        const subject = (consent?.resource.patient as { reference?: unknown } | undefined)?.reference;
        return subject === patient || subject === `${baseUrl()}/${patient}` ? consent : undefined;
      } catch (error) {
        if (error instanceof FhirLedgerError && ["not-found", "gone", "forbidden"].includes(error.code))
          return undefined;
        throw error;
      }
    },
    async update(owner, resource, versionId) {
      const id = String(resource.id);
      if (!ID.test(id)) throw new FhirLedgerError("invalid", "not a Consent id");
      const response = await engine.handle(
        patientActor(owner),
        request({ method: "PUT", path: ["Consent", id], headers: { ifMatch: `W/"${versionId}"` }, body: resource }),
      );
      const version = response.version;
      if ((response.status !== 200 && response.status !== 201) || !version)
        throw new FhirLedgerError("internal", "the Consent was not written");
      return { id: version.id, versionId: version.versionId, resource: response.resource ?? resource };
    },
  };
}
