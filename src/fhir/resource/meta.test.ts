import { describe, expect, it } from "vitest";
import { compartmentOf, newResourceId, stripMeta, withMeta } from "./meta.ts";
import { loadCompartmentPaths } from "./compartmentOf.ts";

describe("withMeta", () => {
  it("sets versionId and lastUpdated on a copy, keeping the rest of meta", () => {
    const original = {
      resourceType: "Patient",
      id: "p1",
      meta: { versionId: "old", profile: ["http://x/p"], tag: [{ code: "t" }] },
    };
    const stamped = withMeta(original, { versionId: "2", lastUpdated: "2026-11-26T03:00:00.000Z" });
    expect(stamped).toEqual({
      resourceType: "Patient",
      id: "p1",
      meta: { versionId: "2", lastUpdated: "2026-11-26T03:00:00.000Z", profile: ["http://x/p"], tag: [{ code: "t" }] },
    });
    expect(original.meta.versionId).toBe("old");
  });

  it("adds meta where there was none", () => {
    expect(withMeta({ resourceType: "Basic" }, { versionId: "1", lastUpdated: "2026-01-01T00:00:00Z" }).meta).toEqual({
      versionId: "1",
      lastUpdated: "2026-01-01T00:00:00Z",
    });
  });
});

describe("stripMeta", () => {
  it("makes two versions with the same content compare equal", () => {
    const content = { resourceType: "Patient", id: "p1", gender: "female", meta: { profile: ["http://x/p"] } };
    const v1 = withMeta(content, { versionId: "1", lastUpdated: "2026-01-01T00:00:00Z" });
    const v2 = withMeta(content, { versionId: "2", lastUpdated: "2026-02-01T00:00:00Z" });
    expect(stripMeta(v1)).toEqual(stripMeta(v2));
    expect(stripMeta(v1)).toEqual(content);
  });

  it("drops meta entirely when only server fields were in it", () => {
    expect(stripMeta({ resourceType: "Basic", meta: { versionId: "1", lastUpdated: "x" } })).toEqual({
      resourceType: "Basic",
    });
  });
});

describe("newResourceId", () => {
  it("returns distinct UUID v4s that are valid FHIR ids", () => {
    const ids = new Set(Array.from({ length: 100 }, newResourceId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("compartmentOf", () => {
  it("puts a Patient in its own compartment, once it has an id", () => {
    expect(compartmentOf({ resourceType: "Patient", id: "p1", link: [{ other: { reference: "Patient/p2" } }] })).toBe(
      "Patient/p1",
    );
    expect(compartmentOf({ resourceType: "Patient" })).toBeNull();
  });

  it.each([
    ["Observation.subject", { resourceType: "Observation", subject: { reference: "Patient/p1" } }, "Patient/p1"],
    [
      "Observation.performer when the subject is a Group",
      {
        resourceType: "Observation",
        subject: { reference: "Group/g" },
        performer: [{ reference: "Practitioner/d" }, { reference: "Patient/p2" }],
      },
      "Patient/p2",
    ],
    ["Encounter.subject", { resourceType: "Encounter", subject: { reference: "Patient/p1" } }, "Patient/p1"],
    [
      "AllergyIntolerance.patient",
      { resourceType: "AllergyIntolerance", patient: { reference: "Patient/p1" } },
      "Patient/p1",
    ],
    [
      "Appointment.participant.actor",
      {
        resourceType: "Appointment",
        participant: [{ actor: { reference: "Practitioner/d" } }, { actor: { reference: "Patient/p3" } }],
      },
      "Patient/p3",
    ],
    ["Consent.patient", { resourceType: "Consent", patient: { reference: "Patient/p1" } }, "Patient/p1"],
    [
      "Provenance.target (where resolve() is Patient)",
      { resourceType: "Provenance", target: [{ reference: "Observation/o" }, { reference: "Patient/p4" }] },
      "Patient/p4",
    ],
    ["Task.for", { resourceType: "Task", for: { reference: "Patient/p5" } }, "Patient/p5"],
    [
      "a versioned reference",
      { resourceType: "Condition", subject: { reference: "Patient/p1/_history/3" } },
      "Patient/p1",
    ],
  ])("follows %s", (_name, resource, expected) => {
    expect(compartmentOf(resource)).toBe(expected);
  });

  it("takes the first parameter of the compartment definition first", () => {
    const allergy = {
      resourceType: "AllergyIntolerance",
      recorder: { reference: "Patient/recorder" },
      patient: { reference: "Patient/subject" },
    };
    expect(compartmentOf(allergy)).toBe("Patient/subject");
  });

  it.each([
    ["a type outside the compartment", { resourceType: "Organization", partOf: { reference: "Patient/p1" } }],
    ["a subject that is not a patient", { resourceType: "Observation", subject: { reference: "Group/g1" } }],
    ["a contained reference", { resourceType: "Observation", subject: { reference: "#p" } }],
    [
      "an absolute reference",
      { resourceType: "Observation", subject: { reference: "https://other.example/fhir/Patient/p1" } },
    ],
    ["a conditional reference", { resourceType: "Observation", subject: { reference: "Patient?identifier=x|1" } }],
    ["no reference", { resourceType: "Observation", subject: { display: "Jane" } }],
    ["a malformed element", { resourceType: "Observation", subject: "Patient/p1" }],
  ])("returns null for %s", (_name, resource) => {
    expect(compartmentOf(resource)).toBeNull();
  });

  describe("with references under the server's own base", () => {
    const OWN = "http://127.0.0.1:8090";

    it.each([
      [
        "an own-base subject",
        { resourceType: "Observation", subject: { reference: `${OWN}/Patient/p1` } },
        "Patient/p1",
      ],
      [
        "an own-base versioned subject",
        { resourceType: "Condition", subject: { reference: `${OWN}/Patient/p1/_history/2` } },
        "Patient/p1",
      ],
      [
        "an own-base performer after an own-base Group subject",
        {
          resourceType: "Observation",
          subject: { reference: `${OWN}/Group/g` },
          performer: [{ reference: `${OWN}/Patient/p2` }],
        },
        "Patient/p2",
      ],
      [
        "the first parameter, own-base, before a relative later one",
        {
          resourceType: "AllergyIntolerance",
          recorder: { reference: "Patient/recorder" },
          patient: { reference: `${OWN}/Patient/subject` },
        },
        "Patient/subject",
      ],
    ])("resolves %s like the relative reference", (_name, resource, expected) => {
      expect(compartmentOf(resource, OWN)).toBe(expected);
    });

    it("resolves a base with a path", () => {
      const obs = { resourceType: "Observation", subject: { reference: "https://fhir.example.org/r4/Patient/p1" } };
      expect(compartmentOf(obs, "https://fhir.example.org/r4")).toBe("Patient/p1");
    });

    it.each([
      ["a base that merely starts the same (another port)", "http://127.0.0.1:80900/Patient/p1"],
      ["the same host on another scheme", "https://127.0.0.1:8090/Patient/p1"],
      ["a path below the base that is not Type/id", `${OWN}/fhir/Patient/p1`],
      ["a conditional reference under the base", `${OWN}/Patient?identifier=x|1`],
      ["an invalid id under the base", `${OWN}/Patient/p_1`],
      ["a non-patient under the base", `${OWN}/Group/p1`],
    ])("keeps %s external", (_name, reference) => {
      expect(compartmentOf({ resourceType: "Observation", subject: { reference } }, OWN)).toBeNull();
    });

    it("treats own-base references as external while the base is unknown", () => {
      expect(compartmentOf({ resourceType: "Observation", subject: { reference: `${OWN}/Patient/p1` } })).toBeNull();
      expect(
        compartmentOf({ resourceType: "Observation", subject: { reference: `${OWN}/Patient/p1` } }, ""),
      ).toBeNull();
    });
  });

  it("understands every parameter of the official patient compartment", () => {
    const paths = loadCompartmentPaths();
    expect(paths.size).toBe(67); // the R4 patient CompartmentDefinition lists 67 types with parameters
    expect(paths.get("Observation")).toEqual([["subject"], ["performer"]]);
    expect(paths.get("AuditEvent")).toEqual([
      ["agent", "who"],
      ["entity", "what"],
    ]);
  });

  it("runs fast enough for every write (prints the rate)", () => {
    const obs = {
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      subject: { reference: "Patient/p1" },
    };
    compartmentOf(obs);
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) compartmentOf(obs);
    const ms = performance.now() - started;
    console.log(`compartmentOf: 100,000 Observations in ${ms.toFixed(0)} ms`);
  });
});
