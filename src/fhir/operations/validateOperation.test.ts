import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { createValidator } from "../validation/createValidator.ts";
import { validateOperation } from "./validateOperation.ts";

const deps = { validator: createValidator(), index: { current: async () => null } };
const patient = { resourceType: "Patient", name: [{ family: "X" }] };

async function refusal(fn: () => Promise<unknown>): Promise<FhirLedgerError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof FhirLedgerError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("validateOperation: profile", () => {
  it("validates against the base R4 definition of the type, named with or without a 4.0 version", async () => {
    for (const profile of [
      "http://hl7.org/fhir/StructureDefinition/Patient",
      "http://hl7.org/fhir/StructureDefinition/Patient|4.0.1",
    ]) {
      expect((await validateOperation(deps, "Patient", undefined, patient, { profiles: [profile] })).status).toBe(200);
    }
  });

  it.each([
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    "http://hl7.org/fhir/StructureDefinition/Observation",
    "http://hl7.org/fhir/StructureDefinition/Patient|3.0.2",
  ])("refuses %s with a not-supported 400 instead of answering valid", async (profile) => {
    const error = await refusal(() => validateOperation(deps, "Patient", undefined, patient, { profiles: [profile] }));
    expect(error.code).toBe("invalid");
    expect(error.issues[0]).toMatchObject({ type: "not-supported", diagnostics: expect.stringContaining(profile) });
  });

  it("reads the profile parameter of a Parameters body too", async () => {
    const body = {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: patient },
        { name: "profile", valueCanonical: "http://example.org/StructureDefinition/p" },
      ],
    };
    expect((await refusal(() => validateOperation(deps, "Patient", undefined, body))).issues[0]!.type).toBe(
      "not-supported",
    );
    const notAUri = {
      resourceType: "Parameters",
      parameter: [
        { name: "resource", resource: patient },
        { name: "profile", valueInteger: 1 },
      ],
    };
    expect((await refusal(() => validateOperation(deps, "Patient", undefined, notAUri))).issues[0]!.type).toBe(
      "invalid",
    );
  });
});

describe("validateOperation: the rules a write applies", () => {
  it("reports control characters and broken invariants as error issues naming the element", async () => {
    const body = {
      resourceType: "Observation",
      status: "final",
      code: { text: "a\u0000b" },
      subject: { reference: "#p" },
      effectivePeriod: { start: "2021", end: "2020" },
    };
    const result = await validateOperation(deps, "Observation", undefined, body);
    expect(result.status).toBe(200);
    const issues = (
      result.resource as { issue: { severity: string; code: string; diagnostics: string; expression: string[] }[] }
    ).issue;
    expect(issues).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "value",
        expression: ["Observation.code.text"],
        diagnostics: expect.stringContaining("control characters"),
      }),
      expect.objectContaining({
        severity: "error",
        code: "invariant",
        expression: ["Observation.effectivePeriod"],
        diagnostics: expect.stringMatching(/^per-1: /),
      }),
      expect.objectContaining({
        severity: "error",
        code: "invariant",
        expression: ["Observation.subject.reference"],
        diagnostics: expect.stringMatching(/^ref-1: /),
      }),
    ]);
  });
});
