import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import type { AuditedEngine } from "./testSupport/auditedEngine.ts";
import { auditedEngine, patientsOf, requestIdOf } from "./testSupport/auditedEngine.ts";

const doctor: Actor = {
  id: "dr",
  role: "practitioner",
  scopes: ["user/*.rs"],
  fhirUser: "Practitioner/pr1",
  clientId: "ehr",
  tokenId: "jti-dr",
};
const auditor: Actor = { id: "aud", role: "auditor", scopes: ["user/AuditEvent.rs"], fhirUser: "Practitioner/aud" };
const patient1: Actor = { id: "u1", role: "patient", patient: "p1", scopes: ["patient/*.rs"], fhirUser: "Patient/p1" };

type Bundle = { total?: number; entry?: { resource: Record<string, unknown> }[] };

describe("AuditEvent search (BALP Audit Consumer parameters) and who may read AuditEvents", () => {
  let fx: AuditedEngine;
  const search = async (actor: Actor, query: string) => {
    const answer = await fx.call(actor, "GET", `AuditEvent?${query}&_count=1000`);
    expect(answer.status, query).toBe(200);
    const bundle = answer.resource as Bundle;
    return (bundle.entry ?? []).map((e) => e.resource).filter((r) => r.resourceType === "AuditEvent");
  };
  const ids = async (actor: Actor, query: string) =>
    (await search(actor, query))
      .map((e) => requestIdOf(e))
      .filter((x) => x?.startsWith("seed-"))
      .sort();

  beforeAll(async () => {
    fx = await auditedEngine();
    await fx.put(
      { resourceType: "Patient", id: "p1" },
      { resourceType: "Patient", id: "p2" },
      {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/p1" },
      },
      {
        resourceType: "Observation",
        id: "o2",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/p2" },
      },
    );
    expect((await fx.call(doctor, "GET", "Observation/o1", { requestId: "seed-read-p1" })).status).toBe(200);
    expect((await fx.call(doctor, "GET", "Observation/o2", { requestId: "seed-read-p2" })).status).toBe(200);
    expect((await fx.call(doctor, "GET", "Observation?status=final", { requestId: "seed-search" })).status).toBe(200);
    expect((await fx.call(doctor, "GET", "Observation/nope", { requestId: "seed-404" })).status).toBe(404);
    // a break-glass access, as the consent layer reports it
    await fx.auditor.around(
      doctor,
      {
        method: "GET",
        path: ["Observation", "o2"],
        query: new URLSearchParams(),
        rawQuery: "",
        headers: {},
        baseUrl: "",
        requestId: "seed-btg",
      },
      { interaction: "read", level: "instance", type: "Observation", id: "o2", inBundle: false },
      async () => {
        fx.auditor.decision(doctor, { patient: "Patient/p2", decision: "permit", breakGlass: true });
        return { status: 200, compartments: ["Patient/p2"] };
      },
    );
  });
  afterAll(async () => fx.close());

  it("patient and entity (R4)", async () => {
    expect(await ids(auditor, "patient=Patient/p1")).toEqual(["seed-read-p1", "seed-search"]);
    expect(await ids(auditor, "entity=Observation/o2")).toEqual(["seed-btg", "seed-read-p2"]);
  });

  it("agent and source (R4)", async () => {
    expect((await ids(auditor, "agent=Practitioner/pr1")).length).toBe(7);
    expect(await ids(auditor, "agent=Practitioner/someone-else")).toEqual([]);
    expect((await ids(auditor, "source=Device/fhirledger")).length).toBe(7);
    expect(await ids(auditor, "source=Device/elsewhere")).toEqual([]);
  });

  it("type, subtype, action, outcome (R4)", async () => {
    expect(await ids(auditor, "subtype=http://hl7.org/fhir/restful-interaction|search-type")).toEqual([
      "seed-search",
      "seed-search",
    ]);
    expect(await ids(auditor, "type=http://dicom.nema.org/resources/ontology/DCM|110113")).toEqual(["seed-btg"]);
    expect(await ids(auditor, "action=E")).toEqual(["seed-btg", "seed-search", "seed-search"]);
    expect(await ids(auditor, "outcome=4")).toEqual(["seed-404"]);
    expect((await ids(auditor, "type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest")).length).toBe(6);
  });

  it("entity-type and entity-role (R4)", async () => {
    expect(await ids(auditor, "entity-role=http://terminology.hl7.org/CodeSystem/object-role|24")).toEqual([
      "seed-search",
      "seed-search",
    ]);
    expect(
      (await ids(auditor, "entity-type=https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType|XrequestId"))
        .length,
    ).toBe(7);
  });

  it("purpose (BALP's, defined by this server) and date", async () => {
    expect(await ids(auditor, "purpose=http://terminology.hl7.org/CodeSystem/v3-ActReason|ETREAT")).toEqual([
      "seed-btg",
      "seed-btg",
    ]);
    expect((await ids(auditor, "date=ge2000-01-01")).length).toBe(7);
    expect(await ids(auditor, "date=lt2000-01-01")).toEqual([]);
  });

  it("a patient sees the AuditEvents naming them and nothing else, by search or read", async () => {
    const mine = await search(patient1, "patient=Patient/p1");
    expect(mine.length).toBeGreaterThan(0);
    // R4's `patient`: the patient as an entity (their data was accessed) or as the agent (their own requests)
    const aboutP1 = (e: Record<string, unknown>) =>
      patientsOf(e).length > 0
        ? patientsOf(e).every((p) => p === "Patient/p1")
        : JSON.stringify(e.agent).includes('"Patient/p1"');
    for (const event of mine) expect(aboutP1(event)).toBe(true);
    const all = await search(patient1, "_sort=-date");
    expect(all.length).toBeGreaterThanOrEqual(mine.length);
    for (const event of all) expect(aboutP1(event)).toBe(true);
    const other = (await search(auditor, "patient=Patient/p2"))[0]!;
    expect((await fx.call(patient1, "GET", `AuditEvent/${other.id}`)).status).toBe(404);
    expect((await fx.call(patient1, "GET", `AuditEvent/${mine[0]!.id}`)).status).toBe(200);
  });

  it("a practitioner's user/*.rs reaches no AuditEvent", async () => {
    expect((await fx.call(doctor, "GET", "AuditEvent")).status).toBe(403);
    const some = (await search(auditor, "patient=Patient/p1"))[0]!;
    expect((await fx.call(doctor, "GET", `AuditEvent/${some.id}`)).status).toBe(403);
    const everything = await fx.call(doctor, "GET", "?_count=1000");
    expect(JSON.stringify(everything.resource)).not.toContain('"AuditEvent"');
  });
});
