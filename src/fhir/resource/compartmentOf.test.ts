import { describe, expect, it } from "vitest";
import type { Resource } from "../types/r4.ts";
import { compartmentOf, compartmentsOf, patientIdentifierName, patientNamesOf } from "./compartmentOf.ts";

const observation = {
  resourceType: "Observation",
  status: "final",
  code: { text: "x" },
  subject: { reference: "Patient/a" },
  performer: [
    { reference: "https://fhir.example.org/Patient/b" },
    { identifier: { system: "urn:mrn", value: "M|1" } },
    { identifier: { value: "bare" } },
    { reference: "Practitioner/d" },
  ],
} as unknown as Resource;

describe("compartment names", () => {
  it("compartmentOf: the first patient, compartmentsOf: every one by reference, under the own base too", () => {
    expect(compartmentOf(observation, "https://fhir.example.org")).toBe("Patient/a");
    expect(compartmentsOf(observation, "https://fhir.example.org")).toEqual(["Patient/a", "Patient/b"]);
    expect(compartmentsOf(observation)).toEqual(["Patient/a"]);
  });

  it("patientNamesOf adds a name per reference by identifier, with or without its system, unambiguous", () => {
    expect(patientNamesOf(observation)).toEqual([
      "Patient/a",
      patientIdentifierName("urn:mrn", "M|1"),
      patientIdentifierName(undefined, "bare"),
    ]);
    expect(patientIdentifierName("urn:mrn", "M|1")).toBe("Patient?identifier=urn%3Amrn|M%7C1");
    expect(patientIdentifierName("urn:mrn|M", "1")).not.toBe(patientIdentifierName("urn:mrn", "M|1"));
  });

  it("a Patient is named by its own compartment only", () => {
    const patient = { resourceType: "Patient", id: "p", identifier: [{ system: "s", value: "v" }] } as Resource;
    expect(patientNamesOf(patient)).toEqual(["Patient/p"]);
  });
});
