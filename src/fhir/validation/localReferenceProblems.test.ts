import { describe, expect, it } from "vitest";
import { localReferenceProblems } from "./localReferenceProblems.ts";

const observation = (extra: Record<string, unknown>) => ({
  resourceType: "Observation",
  status: "final",
  code: { text: "x" },
  ...extra,
});
const problems = (resource: Record<string, unknown>) =>
  localReferenceProblems(resource, String(resource.resourceType)).map(
    (i) => `${i.diagnostics.slice(0, 5)} ${i.expression?.[0]}`,
  );

describe("localReferenceProblems", () => {
  it("accepts contained resources referred to by '#id' from a Reference, a canonical or another contained resource", () => {
    expect(
      problems(observation({ contained: [{ resourceType: "Patient", id: "p" }], subject: { reference: "#p" } })),
    ).toEqual([]);
    const questionnaire = {
      resourceType: "Questionnaire",
      status: "draft",
      contained: [{ resourceType: "ValueSet", id: "vs", status: "draft" }],
      item: [{ linkId: "1", type: "choice", answerValueSet: "#vs" }],
    };
    expect(problems(questionnaire)).toEqual([]);
    const chained = observation({
      contained: [
        { resourceType: "Patient", id: "p", managingOrganization: { reference: "#o" } },
        { resourceType: "Organization", id: "o" },
      ],
      subject: { reference: "#p" },
    });
    expect(problems(chained)).toEqual([]);
  });

  it("accepts a contained resource that refers to its container with '#'", () => {
    const provenance = {
      resourceType: "Provenance",
      id: "prov",
      target: [{ reference: "#" }],
      recorded: "2020-01-01T00:00:00Z",
      agent: [{ who: { display: "x" } }],
    };
    expect(problems(observation({ contained: [provenance] }))).toEqual([]);
  });

  it("ref-1: a '#id' Reference names a contained resource of the container", () => {
    expect(problems(observation({ subject: { reference: "#nope" } }))).toEqual(["ref-1 Observation.subject.reference"]);
    expect(
      problems(
        observation({
          contained: [{ resourceType: "Patient", id: "p" }],
          subject: { reference: "#p" },
          performer: [{ reference: "#q" }],
        }),
      ),
    ).toEqual(["ref-1 Observation.performer[0].reference"]);
    // inside a contained resource, "#id" still resolves against the container
    const inContained = observation({
      contained: [{ resourceType: "Patient", id: "p", managingOrganization: { reference: "#o" } }],
      subject: { reference: "#p" },
    });
    expect(problems(inContained)).toEqual(["ref-1 Observation.contained[0].managingOrganization.reference"]);
  });

  it("ref-1 leaves alone what is not a Reference and '#' alone", () => {
    const library = {
      resourceType: "Library",
      status: "draft",
      type: { text: "x" },
      extension: [{ url: "http://x", valueExpression: { language: "text/cql", reference: "#lib" } }],
    };
    expect(problems(library)).toEqual([]);
    expect(problems(observation({ subject: { reference: "#" } }))).toEqual([]);
  });

  it("dom-2: no contained resource inside a contained resource", () => {
    const nested = observation({
      contained: [
        {
          resourceType: "Patient",
          id: "p",
          contained: [{ resourceType: "Organization", id: "o" }],
          managingOrganization: { reference: "#o" },
        },
      ],
      subject: { reference: "#p" },
    });
    expect(problems(nested)).toContain("dom-2 Observation.contained[0].contained");
  });

  it("dom-3: every contained resource is referred to, or refers to the container", () => {
    expect(
      problems(
        observation({
          contained: [
            { resourceType: "Patient", id: "p" },
            { resourceType: "Patient", id: "q" },
          ],
          subject: { reference: "#p" },
        }),
      ),
    ).toEqual(["dom-3 Observation.contained[1]"]);
    expect(problems(observation({ contained: [{ resourceType: "Patient" }] }))).toEqual([
      "dom-3 Observation.contained[0]",
    ]);
  });

  it("checks each Bundle entry's resource on its own", () => {
    const bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [
        { resource: observation({ contained: [{ resourceType: "Patient", id: "p" }], subject: { reference: "#p" } }) },
        { resource: observation({ subject: { reference: "#p" } }) },
      ],
    };
    expect(problems(bundle)).toEqual(["ref-1 Bundle.entry[1].resource.subject.reference"]);
  });
});
