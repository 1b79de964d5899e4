import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadR4Schema } from "../definitions/loadR4Schema.ts";
import { deriveRequiredPrimitives, officialStructureDefinitions } from "./deriveRequiredPrimitives.ts";

describe("requiredPrimitives.json", () => {
  it("matches the official R4 StructureDefinitions (regenerate: node src/fhir/validation/deriveRequiredPrimitives.ts)", () => {
    const shipped = JSON.parse(readFileSync(new URL("./requiredPrimitives.json", import.meta.url), "utf8"));
    expect(shipped).toEqual(deriveRequiredPrimitives(officialStructureDefinitions(), loadR4Schema()));
  });

  it("holds what the schema misses, e.g. Observation.status, and nothing the schema already requires", () => {
    const table = deriveRequiredPrimitives(officialStructureDefinitions(), loadR4Schema());
    expect(table.Observation).toEqual(["status"]);
    expect(table.Bundle_Request).toEqual(["method", "url"]);
    expect(table.Observation).not.toContain("code");
  });
});
