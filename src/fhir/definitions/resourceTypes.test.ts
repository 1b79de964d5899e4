import { describe, expect, it } from "vitest";
import { isResourceType, resourceTypes } from "./resourceTypes.ts";

describe("resourceTypes", () => {
  it("lists the 146 concrete R4 resource types", () => {
    const types = resourceTypes();
    expect(types.size).toBe(146);
    for (const name of [
      "Patient",
      "Observation",
      "Bundle",
      "Parameters",
      "Binary",
      "AuditEvent",
      "Consent",
      "VisionPrescription",
    ]) {
      expect(types.has(name)).toBe(true);
    }
  });

  it.each(["Resource", "DomainResource", "HumanName", "Bundle_Entry", "patient", "SubscriptionStatus", "", "Patient "])(
    "does not count %j as a resource type",
    (name) => {
      expect(isResourceType(name)).toBe(false);
    },
  );

  it("rejects non-strings", () => {
    expect(isResourceType(undefined)).toBe(false);
    expect(isResourceType(42)).toBe(false);
    expect(isResourceType({ toString: () => "Patient" })).toBe(false);
  });
});
