import { describe, expect, it } from "vitest";
import { elementsFor } from "./elementsFor.ts";

describe("elementsFor", () => {
  it("gives plain names to the resources searched for or read, not to included ones", () => {
    expect(elementsFor("Observation", ["code", "status"], { included: false })).toEqual(["code", "status"]);
    expect(elementsFor("Patient", ["code", "status"], { included: true })).toBeUndefined();
  });

  it("gives names qualified by a resource type to resources of that type only, matched or included", () => {
    const elements = ["status", "Observation.code", "Patient.name", "Patient.birthDate"];
    expect(elementsFor("Observation", elements, { included: false })).toEqual(["status", "code"]);
    expect(elementsFor("Patient", elements, { included: true })).toEqual(["name", "birthDate"]);
    expect(elementsFor("Practitioner", elements, { included: true })).toBeUndefined();
  });

  it("is undefined without _elements or when nothing is left", () => {
    expect(elementsFor("Patient", undefined, { included: false })).toBeUndefined();
    expect(elementsFor("Patient", [], { included: false })).toBeUndefined();
  });
});
