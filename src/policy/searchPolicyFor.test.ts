import { describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import { patientCompartmentTypes } from "./compartmentTypes.ts";
import { effectiveGrants } from "./effectiveGrants.ts";
import { searchPolicyFor } from "./searchPolicyFor.ts";

const policy = (actor: Actor, letter = "s") => searchPolicyFor(effectiveGrants(actor), letter);

describe("searchPolicyFor", () => {
  it("adds nothing for a grant of every resource of every type", () => {
    expect(policy({ id: "s", role: "system", scopes: ["system/*.rs"] })).toBeUndefined();
    expect(policy({ id: "s", role: "system", scopes: ["system/*.c"] })).toEqual({ rules: [] });
  });

  it("keeps a rule per type granted, so includes of other types are left out", () => {
    expect(policy({ id: "d", role: "practitioner", scopes: ["user/Observation.rs", "user/Patient.r"] })).toEqual({
      rules: [{ types: ["Observation"], filters: [] }],
    });
  });

  it("splits a confined wildcard into the compartment types (confined) and the rest (not)", () => {
    const p = policy({ id: "u", role: "patient", patient: "p1", scopes: ["patient/*.rs"] })!;
    // the first rule is the patient's access log: AuditEvents naming it (they are in no compartment)
    expect(p.rules).toHaveLength(3);
    expect(p.rules[0]).toMatchObject({ types: ["AuditEvent"], filters: [{ code: "patient" }] });
    expect(p.rules[1]).toMatchObject({ confine: "Patient/p1", filters: [] });
    expect(p.rules[1]!.types).toContain("Observation");
    expect(p.rules[1]!.types).not.toContain("Practitioner");
    expect(p.rules[2]).toEqual({ types: "*", exceptTypes: p.rules[1]!.types, filters: [] });
  });

  it("keeps AuditEvent from a practitioner's wildcard, in the query as in the scope", () => {
    const p = policy({ id: "u", role: "practitioner", scopes: ["user/*.rs", "user/AuditEvent.rs"] })!;
    expect(p).toEqual({ rules: [{ types: "*", exceptTypes: ["AuditEvent"], filters: [] }] });
  });

  it("confines a named compartment type, not a shared one", () => {
    const p = policy({
      id: "u",
      role: "patient",
      patient: "p1",
      scopes: ["patient/Condition.rs", "patient/Medication.rs"],
    });
    expect(p).toEqual({
      rules: [
        { types: ["Condition"], confine: "Patient/p1", filters: [] },
        { types: ["Medication"], filters: [] },
      ],
    });
  });

  it("carries a granular constraint as search filters", () => {
    const p = policy({
      id: "d",
      role: "practitioner",
      scopes: ["user/Observation.rs?category=laboratory&status=final"],
    })!;
    expect(p.rules[0]!.filters.map((f) => (f.kind === "param" ? f.code : f.kind))).toEqual(["category", "status"]);
  });

  it("knows the patient compartment types from the R4 CompartmentDefinition", () => {
    const types = patientCompartmentTypes();
    for (const t of ["Patient", "Observation", "Condition", "Encounter", "MedicationRequest"])
      expect(types.has(t)).toBe(true);
    for (const t of ["Practitioner", "Organization", "Medication", "Location"]) expect(types.has(t)).toBe(false);
  });
});
