import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import type { ConsentOwner, StoredConsent, WalletConsentRecords } from "../WalletConsentRecords.ts";

/** WalletConsentRecords in memory, with the If-Match rule of the real one; `put` writes as the operator would. */
export class MemoryConsentRecords implements WalletConsentRecords {
  readonly #byId = new Map<string, StoredConsent>();
  #next = 1;

  /** Writes (creates or replaces) a Consent directly, as an operator with database access could. */
  put(resource: Record<string, unknown>): StoredConsent {
    const id = typeof resource.id === "string" ? resource.id : `c${this.#next++}`;
    const versionId = (this.#byId.get(id)?.versionId ?? 0) + 1;
    const stored = {
      id,
      versionId,
      resource: structuredClone({ ...resource, id, meta: { versionId: String(versionId) } }),
    };
    this.#byId.set(id, stored);
    return stored;
  }

  async list({ patient }: ConsentOwner, max: number): Promise<StoredConsent[]> {
    return [...this.#byId.values()]
      .filter((c) => (c.resource.patient as { reference?: string }).reference === patient)
      .reverse()
      .slice(0, max)
      .map((c) => structuredClone(c));
  }

  async get({ patient }: ConsentOwner, id: string): Promise<StoredConsent | undefined> {
    const c = this.#byId.get(id);
    return c && (c.resource.patient as { reference?: string }).reference === patient ? structuredClone(c) : undefined;
  }

  async update(owner: ConsentOwner, resource: Record<string, unknown>, versionId: number): Promise<StoredConsent> {
    const current = await this.get(owner, String(resource.id));
    if (!current || current.versionId !== versionId)
      throw new FhirLedgerError("precondition-failed", "the version is not the current one");
    return this.put(resource);
  }
}

/** A patient-privacy Consent of `patient` naming `practitioner`, proposed by default. */
export function consentFor(
  patient: string,
  practitioner: string,
  extra: { status?: string; end?: string } = {},
): Record<string, unknown> {
  return {
    resourceType: "Consent",
    status: extra.status ?? "proposed",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: patient },
    provision: {
      type: "permit",
      ...(extra.end ? { period: { end: extra.end } } : {}),
      actor: [
        {
          role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PRCP" }] },
          reference: { reference: practitioner },
        },
      ],
    },
  };
}
