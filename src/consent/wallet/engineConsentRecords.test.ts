import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FhirResource } from "../../records/RecordRepository.ts";
import { type ScopedEngine, scopedEngine } from "../../policy/testSupport/scopedEngine.ts";
import { engineConsentRecords } from "./engineConsentRecords.ts";
import { consentFor } from "./testSupport/memoryConsentRecords.ts";
import type { WalletConsentRecords } from "./WalletConsentRecords.ts";

const MARY = { userId: "u-mary", patient: "Patient/mary" };

describe("engineConsentRecords (as the patient, through the engine with SMART access)", () => {
  let e: ScopedEngine;
  let records: WalletConsentRecords;

  beforeAll(async () => {
    e = await scopedEngine();
    records = engineConsentRecords(e.engine, () => "http://fhir.test");
    await e.put(
      { resourceType: "Patient", id: "mary" } as FhirResource,
      { resourceType: "Patient", id: "bob" } as FhirResource,
      { ...consentFor("Patient/mary", "Practitioner/doc"), id: "c-mary-1" } as FhirResource,
      { ...consentFor("Patient/mary", "Practitioner/other", { status: "active" }), id: "c-mary-2" } as FhirResource,
      { ...consentFor("Patient/bob", "Practitioner/doc"), id: "c-bob" } as FhirResource,
    );
  });
  afterAll(async () => {
    await e?.close();
  });

  it("lists the patient's own Consents only, within the cap", async () => {
    const mine = await records.list(MARY, 10);
    expect(mine.map((c) => c.id).sort()).toEqual(["c-mary-1", "c-mary-2"]);
    expect(mine.every((c) => c.versionId === 1)).toBe(true);
    expect(await records.list(MARY, 1)).toHaveLength(1);
  });

  it("reads one of the patient's Consents, and nothing of another patient's", async () => {
    expect((await records.get(MARY, "c-mary-1"))?.resource.status).toBe("proposed");
    expect(await records.get(MARY, "c-bob")).toBeUndefined();
    expect(await records.get(MARY, "nope")).toBeUndefined();
    expect(await records.get(MARY, "../x")).toBeUndefined();
  });

  it("updates with If-Match: the current version is written, a stale one refused", async () => {
    const current = (await records.get(MARY, "c-mary-1"))!;
    const updated = await records.update(MARY, { ...current.resource, status: "active" }, current.versionId);
    expect(updated.versionId).toBe(current.versionId + 1);
    expect((await records.get(MARY, "c-mary-1"))?.resource.status).toBe("active");
    await expect(
      records.update(MARY, { ...current.resource, status: "inactive" }, current.versionId),
    ).rejects.toMatchObject({ code: "precondition-failed" });
  });
});
