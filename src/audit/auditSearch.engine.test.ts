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

describe("AuditEvent/$export (NDJSON for auditors)", () => {
  let fx: AuditedEngine;
  beforeAll(async () => {
    fx = await auditedEngine();
    await fx.put({ resourceType: "Patient", id: "p1" }, { resourceType: "Patient", id: "p2" });
    for (const id of ["p1", "p2", "p1"]) await fx.call(doctorReadingPatients, "GET", `Patient/${id}`);
  });
  afterAll(async () => fx.close());

  it("streams every match in id order, one AuditEvent per line, as application/fhir+ndjson", async () => {
    const answer = await fx.engine.handle(auditor, exportRequest("patient=Patient/p1"));
    expect(answer.status).toBe(200);
    expect(answer.headers?.["Content-Type"]).toBe("application/fhir+ndjson");
    const lines = [...answer.pieces!()].join("").trimEnd().split("\n");
    const events = lines.map((l) => JSON.parse(l) as { resourceType: string; id: string });
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.resourceType === "AuditEvent")).toBe(true);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => e.id).sort());
  });

  it("refuses an export over the cap instead of cutting it short, and unknown parameters", async () => {
    const { auditExport } = await import("./auditExport.ts");
    await fx.materialiser.drain();
    await expect(
      auditExport({ fhir: fx.engine.interactions }, auditor, new URLSearchParams(), "", 2),
    ).rejects.toMatchObject({
      code: "invalid",
      message: expect.stringContaining("at most 2"),
    });
    expect((await fx.call(auditor, "GET", "AuditEvent/$export?nonsense=1")).status).toBe(400);
  });

  it("is for those who may search AuditEvents: a practitioner is refused", async () => {
    expect((await fx.call(doctorReadingPatients, "GET", "AuditEvent/$export")).status).toBe(403);
  });
});

const doctorReadingPatients: Actor = { id: "dr2", role: "practitioner", scopes: ["user/Patient.rs"] };

function exportRequest(query: string) {
  return {
    method: "GET",
    path: ["AuditEvent", "$export"],
    query: new URLSearchParams(query),
    rawQuery: query,
    headers: {},
    baseUrl: "http://fhir.test",
    requestId: "export-1",
  };
}
