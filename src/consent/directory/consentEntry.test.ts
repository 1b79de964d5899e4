import { describe, expect, it } from "vitest";
import { consentEntryOf, instant } from "./consentEntry.ts";

const base = {
  resourceType: "Consent",
  id: "c1",
  status: "active",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  patient: { reference: "Patient/p1" },
};

describe("consentEntryOf", () => {
  it("keys a Consent by its root actors only when each is a Type/id reference; anything else may decide for anyone", () => {
    const keyed = consentEntryOf({ ...base, provision: { actor: [{ reference: { reference: "Practitioner/a" } }] } });
    expect(keyed?.rootActors).toEqual(["Practitioner/a"]);
    for (const actor of [
      [{ reference: { reference: "http://elsewhere/fhir/Practitioner/a" } }],
      [{ reference: { reference: "Practitioner/a" } }, { reference: { identifier: { value: "x" } } }],
      [],
    ])
      expect(consentEntryOf({ ...base, provision: { actor } })?.rootActors).toBeNull();
  });

  it("marks a Consent that may deny anywhere in its provisions, types inherited, unknown types and deep nesting taken as deny", () => {
    const may = (provision: unknown) => consentEntryOf({ ...base, provision })?.canDeny;
    expect(may({})).toBe(false);
    expect(may({ type: "permit", provision: [{ provision: [{}] }] })).toBe(false);
    expect(may({ type: "deny" })).toBe(true);
    expect(may({ provision: [{ provision: [{ type: "deny" }] }] })).toBe(true);
    expect(may({ type: "deny", provision: [{ type: "permit" }] })).toBe(true);
    expect(may({ type: "maybe" })).toBe(true);
    let deep: Record<string, unknown> = { type: "permit" };
    for (let i = 0; i < 40; i++) deep = { provision: [deep] };
    expect(may(deep)).toBe(true);
  });

  it("counts only active, patient-privacy Consents of one Patient with a root provision", () => {
    expect(consentEntryOf({ ...base, provision: {} })?.patient).toBe("Patient/p1");
    expect(consentEntryOf({ ...base, status: "proposed", provision: {} })).toBeNull();
    expect(consentEntryOf({ ...base, provision: [] })).toBeNull();
    expect(consentEntryOf({ ...base, patient: { reference: "Group/g" }, provision: {} })).toBeNull();
    expect(consentEntryOf({ ...base, scope: { coding: [{ code: "patient-privacy" }] }, provision: {} })).toBeNull();
  });
});

describe("instant", () => {
  it("widens a date without time to every zone's day, so a period is dropped only when certainly past", () => {
    expect(instant("2026-06-01", "end")).toBe(Date.parse("2026-06-02T14:00:00Z") - 1);
    expect(instant("2026-06-01", "start")).toBe(Date.parse("2026-05-31T10:00:00Z"));
    expect(instant("2026-06", "end")).toBe(Date.parse("2026-07-01T14:00:00Z") - 1);
    expect(instant("2026", "end")).toBe(Date.parse("2027-01-01T14:00:00Z") - 1);
    expect(instant("2026-06-01T10:00:00+02:00", "end")).toBe(Date.parse("2026-06-01T08:00:00Z"));
    expect(instant("next week", "end")).toBeNaN();
  });
});
