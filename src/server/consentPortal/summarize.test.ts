import { describe, expect, it } from "vitest";
import { summarizeAuditEvent } from "./summarizeAuditEvent.ts";
import { summarizeConsent } from "./summarizeConsent.ts";

const BTG = { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" };

describe("summarizeConsent", () => {
  it("reads status, patient, root type, classes, period and every actor of the tree once", () => {
    const s = summarizeConsent({
      resourceType: "Consent",
      id: "c1",
      status: "active",
      patient: { reference: "Patient/p1" },
      meta: { lastUpdated: "2026-12-01T10:00:00Z" },
      provision: {
        type: "deny",
        period: { start: "2026-01-01", end: "2026-12-31T23:59:59Z" },
        actor: [{ reference: { reference: "Practitioner/d1" } }],
        class: [
          { system: "http://hl7.org/fhir/resource-types", code: "Observation" },
          { code: "Condition" },
          { system: "urn:other", code: "x" },
        ],
        provision: [
          { actor: [{ reference: { reference: "CareTeam/t1" } }, { reference: { reference: "Practitioner/d1" } }] },
        ],
      },
    });
    expect(s).toEqual({
      id: "c1",
      status: "active",
      patient: "Patient/p1",
      decision: "deny",
      actors: [
        { reference: "Practitioner/d1", name: "Practitioner/d1" },
        { reference: "CareTeam/t1", name: "CareTeam/t1" },
      ],
      classes: ["Observation", "Condition"],
      start: "2026-01-01",
      end: "2026-12-31T23:59:59Z",
      breakGlass: false,
      lastUpdated: "2026-12-01T10:00:00Z",
    });
  });

  it("a BTG-labelled Consent is break-glass with its reason; a Consent without provision permits nothing named", () => {
    const s = summarizeConsent({
      id: "b",
      status: "active",
      meta: { security: [BTG] },
      extension: [{ url: "urn:fhirledger:break-glass-reason", valueString: "unconscious" }],
      provision: { actor: [{ reference: { reference: "Practitioner/d1" } }] },
    });
    expect(s).toMatchObject({ breakGlass: true, reason: "unconscious", decision: "permit" });
    expect(summarizeConsent({ id: "x", status: "draft" })).toMatchObject({
      actors: [],
      classes: [],
      breakGlass: false,
    });
  });

  it("lists at most 20 actors of a large tree", () => {
    const actor = (i: number) => ({ reference: { reference: `Practitioner/d${i}` } });
    const s = summarizeConsent({ id: "c", provision: { actor: Array.from({ length: 64 }, (_, i) => actor(i)) } });
    expect(s.actors).toHaveLength(20);
  });
});

describe("summarizeAuditEvent", () => {
  const base = {
    resourceType: "AuditEvent",
    id: "a1",
    recorded: "2026-12-06T06:00:00Z",
    action: "R",
    outcome: "0",
    subtype: [{ system: "http://hl7.org/fhir/restful-interaction", code: "read" }],
    agent: [
      { who: { reference: "Practitioner/d1" }, requestor: true },
      { who: { identifier: { value: "app-1" } }, requestor: false },
      { who: { reference: "Device/fhirledger", display: "fhirledger" }, requestor: false },
    ],
  };

  it("who is the requestor; what names the resource other than the patient; success or failure", () => {
    const read = summarizeAuditEvent(
      { ...base, entity: [{ what: { reference: "Observation/o1" } }, { what: { reference: "Patient/p1" } }] },
      "Patient/p1",
    );
    expect(read).toEqual({
      id: "a1",
      recorded: "2026-12-06T06:00:00Z",
      who: ["Practitioner/d1"],
      what: "read Observation/o1",
      outcome: "success",
      purposes: [],
      breakGlass: false,
    });
    const refused = summarizeAuditEvent(
      { ...base, outcome: "8", entity: [{ what: { reference: "Patient/p1" } }] },
      "Patient/p1",
    );
    expect(refused).toMatchObject({ what: "read your record", outcome: "failure" });
  });

  it("a search says so; ETREAT (or a BTG label) flags break-glass; purposes listed once", () => {
    const e = summarizeAuditEvent(
      {
        ...base,
        action: "E",
        subtype: [{ code: "search-type" }],
        purposeOfEvent: [{ coding: [{ code: "ETREAT" }] }],
        agent: [
          { who: { reference: "Practitioner/d1" }, requestor: true, purposeOfUse: [{ coding: [{ code: "ETREAT" }] }] },
        ],
        entity: [{ role: { code: "24" }, query: "Zm9v" }, { what: { reference: "Patient/p1" } }],
      },
      "Patient/p1",
    );
    expect(e).toMatchObject({ what: "search in your records", purposes: ["ETREAT"], breakGlass: true });
    expect(summarizeAuditEvent({ ...base, meta: { security: [BTG] } }, "Patient/p1").breakGlass).toBe(true);
  });

  it("with no requestor the other agents are named; with none at all, 'unknown'", () => {
    expect(summarizeAuditEvent({ ...base, agent: [{ who: { display: "fhirledger" } }] }, "Patient/p1").who).toEqual([
      "fhirledger",
    ]);
    expect(summarizeAuditEvent({ ...base, agent: [] }, "Patient/p1").who).toEqual(["unknown"]);
  });
});
