import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveMandatoryElements, resourceStructureDefinitions } from "./deriveMandatoryElements.ts";
import { mandatoryElements } from "./mandatoryElements.ts";

describe("mandatoryElements.json", () => {
  it("matches the R4 StructureDefinitions (regenerate: node src/fhir/definitions/deriveMandatoryElements.ts)", () => {
    const shipped = JSON.parse(readFileSync(new URL("./mandatoryElements.json", import.meta.url), "utf8"));
    expect(shipped).toEqual(deriveMandatoryElements(resourceStructureDefinitions()));
  });

  it("names each type's top-level elements with min 1, choices by their typed names", () => {
    expect([...mandatoryElements("Observation")]).toEqual(["status", "code"]);
    expect([...mandatoryElements("MedicationRequest")]).toEqual([
      "status",
      "intent",
      "medicationCodeableConcept",
      "medicationReference",
      "subject",
    ]);
    expect(mandatoryElements("Patient").size).toBe(0);
    expect(mandatoryElements("NoSuchType").size).toBe(0);
  });
});
