import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { createValidator } from "../validation/createValidator.ts";
import { buildCapabilityStatement } from "./capabilityStatement.ts";
import type { CapabilityStatementOptions } from "./capabilityStatement.ts";

const base: CapabilityStatementOptions = {
  baseUrl: "https://ehr.example/fhir",
  software: { name: "fhirledger", version: "0.1.0" },
  date: "2026-11-26T00:00:00Z",
  resourceTypes: ["Patient", "Observation"],
  interactions: ["read", "vread", "update", "delete", "history-instance", "create"],
  operations: [],
};

describe("buildCapabilityStatement", () => {
  it("describes an R4 JSON server instance", () => {
    const cs = buildCapabilityStatement(base);
    expect(cs).toMatchObject({
      resourceType: "CapabilityStatement",
      status: "active",
      kind: "instance",
      fhirVersion: "4.0.1",
      format: ["application/fhir+json", "json"],
      software: { name: "fhirledger", version: "0.1.0" },
      implementation: { url: "https://ehr.example/fhir" },
      date: "2026-11-26T00:00:00Z",
    });
    expect(cs.rest?.[0]?.mode).toBe("server");
    expect(cs.rest?.[0]?.security).toEqual({ cors: false });
  });

  it("claims exactly the given interactions for each type, and nothing conditional", () => {
    const resources = buildCapabilityStatement(base).rest?.[0]?.resource ?? [];
    expect(resources.map((r) => r.type)).toEqual(["Patient", "Observation"]);
    expect(resources[0]).toEqual({
      type: "Patient",
      interaction: base.interactions.map((code) => ({ code })),
      versioning: "versioned",
      readHistory: true,
      updateCreate: false,
      conditionalCreate: false,
      conditionalRead: "not-supported",
      conditionalUpdate: false,
      conditionalDelete: "not-supported",
    });
  });

  it("lists search parameters only where search-type is claimed, and places operations", () => {
    const cs = buildCapabilityStatement({
      ...base,
      interactions: [...base.interactions, "search-type"],
      systemInteractions: ["transaction", "batch"],
      searchParams: (type) =>
        type === "Patient"
          ? [{ name: "family", type: "string", definition: "http://hl7.org/fhir/SearchParameter/individual-family" }]
          : [],
      operations: [
        {
          name: "$everything",
          definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything",
          types: ["Patient"],
        },
        { name: "verify", definition: "https://ehr.example/fhir/OperationDefinition/verify" },
      ],
      updateCreate: true,
      security: {
        service: [
          {
            coding: [
              { system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "SMART-on-FHIR" },
            ],
          },
        ],
      },
    });
    const rest = cs.rest?.[0];
    const [patient, observation] = rest?.resource ?? [];
    expect(patient?.searchParam).toEqual([
      { name: "family", type: "string", definition: "http://hl7.org/fhir/SearchParameter/individual-family" },
    ]);
    expect(observation?.searchParam).toBeUndefined();
    expect(patient?.operation).toEqual([
      { name: "everything", definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything" },
    ]);
    expect(observation?.operation).toBeUndefined();
    expect(patient?.updateCreate).toBe(true);
    expect(rest?.interaction).toEqual([{ code: "transaction" }, { code: "batch" }]);
    expect(rest?.operation).toEqual([
      { name: "verify", definition: "https://ehr.example/fhir/OperationDefinition/verify" },
    ]);
    expect(rest?.security?.service?.[0]?.coding?.[0]?.code).toBe("SMART-on-FHIR");
  });

  it("states versioning, includes and contained definitions when given", () => {
    const cs = buildCapabilityStatement({
      ...base,
      interactions: [...base.interactions, "search-type"],
      versioning: "versioned-update",
      searchParams: () => [{ name: "subject", type: "reference" }],
      searchIncludes: (type) =>
        type === "Observation"
          ? { include: ["Observation:subject"], revinclude: [] }
          : { include: [], revinclude: ["Observation:subject"] },
      contained: [
        {
          resourceType: "OperationDefinition",
          id: "verify",
          name: "Verify",
          status: "active",
          kind: "operation",
          code: "verify",
          resource: ["Resource"],
          system: false,
          type: false,
          instance: true,
        },
      ],
      operations: [{ name: "verify", definition: "#verify", types: ["Patient", "Observation"] }],
    });
    const [patient, observation] = cs.rest?.[0]?.resource ?? [];
    expect(patient?.versioning).toBe("versioned-update");
    expect(observation?.searchInclude).toEqual(["Observation:subject"]);
    expect(observation?.searchRevInclude).toBeUndefined();
    expect(patient?.searchRevInclude).toEqual(["Observation:subject"]);
    expect(patient?.operation).toEqual([{ name: "verify", definition: "#verify" }]);
    expect((cs.contained as { id: string }[]).map((r) => r.id)).toEqual(["verify"]);
    expect(() => createValidator().validate(cs, { expectedType: "CapabilityStatement" })).not.toThrow();
  });

  it("states the conditional support, update-as-create and reference policy it is given", () => {
    const cs = buildCapabilityStatement({
      ...base,
      conditional: { create: true, read: "full-support", update: true, delete: "multiple" },
      updateCreate: true,
      referencePolicy: ["literal", "logical"],
    });
    for (const r of cs.rest?.[0]?.resource ?? []) {
      expect(r).toMatchObject({
        readHistory: true,
        updateCreate: true,
        conditionalCreate: true,
        conditionalRead: "full-support",
        conditionalUpdate: true,
        conditionalDelete: "multiple",
        referencePolicy: ["literal", "logical"],
      });
    }
    expect(() => createValidator().validate(cs, { expectedType: "CapabilityStatement" })).not.toThrow();
  });

  it("leaves referencePolicy out when none is given (an empty array is invalid)", () => {
    expect(buildCapabilityStatement({ ...base, referencePolicy: [] }).rest?.[0]?.resource?.[0]).not.toHaveProperty(
      "referencePolicy",
    );
  });

  it("claims a type's own interactions when it has fewer, and no conditional or update-as-create it lacks", () => {
    const cs = buildCapabilityStatement({
      ...base,
      interactions: [...base.interactions, "search-type"],
      interactionsOf: (type) => (type === "Observation" ? ["read", "vread", "search-type"] : base.interactions),
      conditional: { create: true, read: "full-support", update: true, delete: "multiple" },
      updateCreate: true,
      versioning: "versioned-update",
    });
    const [patient, observation] = cs.rest?.[0]?.resource ?? [];
    expect(observation).toMatchObject({
      interaction: [{ code: "read" }, { code: "vread" }, { code: "search-type" }],
      versioning: "versioned",
      readHistory: true,
      updateCreate: false,
      conditionalCreate: false,
      conditionalRead: "full-support",
      conditionalUpdate: false,
      conditionalDelete: "not-supported",
    });
    expect(patient).toMatchObject({
      interaction: base.interactions.map((code) => ({ code })),
      versioning: "versioned-update",
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: "multiple",
    });
    expect(() => buildCapabilityStatement({ ...base, interactionsOf: () => ["search"] })).toThrow(/type-level/);
  });

  it("does not claim readHistory without vread", () => {
    const cs = buildCapabilityStatement({ ...base, interactions: ["read", "create"] });
    expect(cs.rest?.[0]?.resource?.[0]?.readHistory).toBe(false);
  });

  it("refuses interaction codes R4 does not define", () => {
    expect(() => buildCapabilityStatement({ ...base, interactions: ["read", "search"] })).toThrow(FhirLedgerError);
    expect(() => buildCapabilityStatement({ ...base, systemInteractions: ["read"] })).toThrow(/system-level/);
  });

  it("is a valid R4 CapabilityStatement", () => {
    const cs = buildCapabilityStatement({
      ...base,
      interactions: [...base.interactions, "search-type", "patch"],
      patchFormats: ["application/json-patch+json"],
      searchParams: () => [
        { name: "_id", type: "token", definition: "http://hl7.org/fhir/SearchParameter/Resource-id" },
      ],
      operations: [{ name: "verify", definition: "https://ehr.example/fhir/OperationDefinition/verify" }],
    });
    expect(cs.patchFormat).toEqual(["application/json-patch+json"]);
    expect(() => createValidator().validate(cs, { expectedType: "CapabilityStatement" })).not.toThrow();
  });
});
