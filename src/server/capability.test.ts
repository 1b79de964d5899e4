import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import type { CapabilityStatement } from "../fhir/types/r4.ts";
import { createValidator } from "../fhir/validation/createValidator.ts";
import { buildServerCapabilityStatement } from "./capability.ts";

const BASE = "http://127.0.0.1:8090";

describe("the server's CapabilityStatement", () => {
  const cs = buildServerCapabilityStatement(BASE) as unknown as CapabilityStatement;
  const resources = cs.rest?.[0]?.resource ?? [];

  // The third column is what AuditEvent states: it is read-only over REST (no create, update or delete).
  it.each([
    ["conditionalCreate", true, false], // POST [type] with If-None-Exist
    ["conditionalRead", "full-support", "full-support"], // GET [type]/[id] with If-None-Match and with If-Modified-Since
    ["conditionalUpdate", true, false], // PUT [type]?criteria
    ["conditionalDelete", "multiple", "not-supported"], // DELETE [type]?criteria deletes every match
    ["readHistory", true, true], // vread
    ["updateCreate", true, false], // PUT [type]/[id] to an unknown id creates it
    ["versioning", "versioned-update", "versioned"], // update and delete honour If-Match
    ["referencePolicy", ["literal", "logical"], ["literal", "logical"]],
  ])("states %s for every resource type", (flag, value, readOnlyValue) => {
    expect(resources.length).toBeGreaterThan(140);
    for (const r of resources)
      expect((r as unknown as Record<string, unknown>)[flag], `${r.type}.${flag}`).toEqual(
        r.type === "AuditEvent" ? readOnlyValue : value,
      );
  });

  it("lists JSON Patch and FHIRPath Patch (a Parameters body) as patch formats", () => {
    expect(cs.patchFormat).toEqual(["application/json-patch+json", "application/fhir+json"]);
  });

  it("is a valid R4 CapabilityStatement", () => {
    expect(() => createValidator().validate(cs, { expectedType: "CapabilityStatement" })).not.toThrow();
  });
});

/** The reference policy claimed above is what the engine does: checked, not just stated. */
describe("the claimed reference policy", () => {
  let engine: MemoryFhir;
  const observation = (id: string, subject: Record<string, unknown>) => ({
    resourceType: "Observation",
    id,
    status: "final",
    code: { text: "x" },
    subject,
  });
  const found = async (query: string) => {
    const { resource } = await engine.fhir.search(engine.actor, "Observation", new URLSearchParams(query), {
      baseUrl: BASE,
      strict: true,
    });
    return ((resource as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => e.resource.id).sort();
  };

  beforeAll(async () => {
    engine = await memoryFhir();
  });
  afterAll(async () => {
    await engine.close();
  });

  it("literal: a Reference.reference is searchable as written", async () => {
    expect(
      (
        await engine.fhir.update(
          engine.actor,
          "Observation",
          "rp-literal",
          observation("rp-literal", { reference: "Patient/rp-p1" }),
        )
      ).status,
    ).toBe(201);
    expect(await found("subject=Patient/rp-p1")).toEqual(["rp-literal"]);
  });

  it("logical but not resolves: a Reference.identifier is accepted, kept as written and searchable with :identifier", async () => {
    const subject = { identifier: { system: "urn:mrn", value: "rp-7" } };
    expect(
      (await engine.fhir.update(engine.actor, "Observation", "rp-logical", observation("rp-logical", subject))).status,
    ).toBe(201);
    expect((await engine.records.read("Observation", "rp-logical")).resource?.subject).toEqual(subject);
    expect(await found("subject:identifier=urn:mrn|rp-7")).toEqual(["rp-logical"]);
  });

  it("not enforced: a reference to an absent resource is accepted", async () => {
    expect(
      (
        await engine.fhir.update(
          engine.actor,
          "Observation",
          "rp-dangling",
          observation("rp-dangling", { reference: "Patient/rp-absent" }),
        )
      ).status,
    ).toBe(201);
  });

  it("not local: a reference to another server is accepted and searchable by its URL", async () => {
    const url = "https://other.example.org/fhir/Patient/rp-p1";
    expect(
      (await engine.fhir.update(engine.actor, "Observation", "rp-remote", observation("rp-remote", { reference: url })))
        .status,
    ).toBe(201);
    expect(await found(`subject=${encodeURIComponent(url)}`)).toEqual(["rp-remote"]);
  });
});
