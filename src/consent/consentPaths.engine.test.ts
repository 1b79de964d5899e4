import { describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import { entriesOf } from "../policy/testSupport/scopedEngine.ts";
import { actor, consent, consentWorld, dr1, dr2, patient1, SCOPE, SYSTEM } from "./testSupport/consentWorld.ts";

const RT = "http://hl7.org/fhir/resource-types";
const cls = (...types: string[]) => types.map((code) => ({ system: RT, code }));
const observation = (id: string | undefined, patient: string, value: string) => ({
  resourceType: "Observation",
  ...(id === undefined ? {} : { id }),
  status: "final",
  code: { text: "x" },
  subject: { reference: `Patient/${patient}` },
  identifier: [{ system: "urn:obs", value }],
});

describe("consent on includes, chains, _has, $everything, batch", () => {
  // pr1: Observations and DiagnosticReports of p1 (not the Patient); pr2: all of p1 but Observations
  const fx = consentWorld([
    consent("k1", "p1", { actor: actor("Practitioner/pr1"), class: cls("Observation", "MedicationRequest") }),
    consent("k2", "p1", {
      actor: actor("Practitioner/pr2"),
      provision: [{ type: "deny", class: cls("Observation") }],
    }),
  ]);
  it("_include and _revinclude add only what the caller may see; shared resources stay", async () => {
    const inc = await fx.w.search(dr1, "Observation?_include=Observation:subject&_revinclude=DiagnosticReport:result");
    expect(inc.match).toEqual(["Observation/o1", "Observation/o2"]);
    expect(inc.include).toEqual([]);
    const med = await fx.w.search(dr1, "MedicationRequest?_include=MedicationRequest:medication");
    expect(med.include).toEqual(["Medication/med1"]);
    const pr2 = await fx.w.search(dr2, "Patient?_revinclude=Observation:subject&_revinclude=Condition:subject");
    expect(pr2.match).toEqual(["Patient/p1"]);
    expect(pr2.include).toEqual(["Condition/c1"]);
  });
  it("a chain or _has can't filter on what the caller may not see", async () => {
    // pr1 sees p1's Observations but not Patient p1: a chain on the patient's name finds nothing
    expect((await fx.w.search(dr1, "Observation?subject:Patient.name=One")).total).toBe(0);
    // pr2 sees Patient p1 but not its Observations: _has on them finds nothing
    expect((await fx.w.search(dr2, "Patient?_has:Observation:subject:code=1")).total).toBe(0);
    expect((await fx.w.search(dr2, "Patient?_has:Condition:subject:_id=c1")).match).toEqual(["Patient/p1"]);
    expect((await fx.w.search(patient1, "Patient?_has:Observation:subject:code=1")).match).toEqual(["Patient/p1"]);
  });
  it("Patient/[id]/$everything shows the members consent admits, with an exact total; all patients is refused", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Patient/p1/$everything")).status).toBe(404);
    const every = await fx.w.e.call(dr2, "GET", "Patient/p1/$everything");
    expect(every.status).toBe(200);
    const got = entriesOf(every.resource);
    expect(got.match).toEqual([
      "Condition/c1",
      "Consent/k1",
      "Consent/k2",
      "DiagnosticReport/dr1",
      "MedicationRequest/mr1",
      "Patient/p1",
    ]);
    expect(every.resource!.total).toBe(6);
    // shared resources the members refer to (the Consents name pr1) come along
    expect(got.include).toEqual(["Medication/med1", "Practitioner/pr1"]);
    expect((await fx.w.e.call(dr2, "GET", "Patient/p2/$everything")).status).toBe(404);
    expect((await fx.w.e.call(dr2, "GET", "Patient/$everything")).status).toBe(403);
    expect((await fx.w.e.call(SYSTEM, "GET", "Patient/$everything")).status).toBe(200);
  });
  it("history totals are exact when consent is decided by type and compartment", async () => {
    const h = await fx.w.e.call(dr2, "GET", "Condition/_history?_total=accurate");
    expect(h.resource!.total).toBe(1);
    const none = await fx.w.e.call(dr2, "GET", "Observation/_history?_total=accurate");
    expect(none.resource!.total).toBe(0);
    expect(none.resource!.entry).toBeUndefined();
  });
  it("transaction GET entries are decided as the same request alone", async () => {
    const tx = await fx.w.e.call(dr2, "POST", "", {
      body: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { request: { method: "GET", url: "Condition?subject=Patient/p1" } },
          { request: { method: "GET", url: "Observation?subject=Patient/p1" } },
        ],
      },
    });
    expect(tx.status).toBe(200);
    const entries = tx.resource!.entry as { resource?: { total?: number } }[];
    expect(entries.map((x) => x.resource?.total)).toEqual([1, 0]);
  });
  it("batch GET entries are each decided as the same request alone", async () => {
    const batch = await fx.w.e.call(dr1, "POST", "", {
      body: {
        resourceType: "Bundle",
        type: "batch",
        entry: [
          { request: { method: "GET", url: "Observation/o1" } },
          { request: { method: "GET", url: "Observation/o3" } },
          { request: { method: "GET", url: "Condition?subject=Patient/p1" } },
        ],
      },
    });
    const entries = batch.resource!.entry as { response: { status: string }; resource?: { total?: number } }[];
    expect(entries.map((x) => x.response.status.slice(0, 3))).toEqual(["200", "404", "200"]);
    expect(entries[2]!.resource!.total).toBe(0);
  });
});

describe("consent on conditional writes and writes into a compartment", () => {
  // pr1 may read and write p2's compartment; it has nothing of p1
  const fx = consentWorld([consent("k1", "p2", { actor: actor("Practitioner/pr1") })]);
  it("a conditional update answers a hidden match as no match (no 200 vs 412 leak)", async () => {
    const hidden = await fx.w.e.call(dr1, "PUT", "Observation?identifier=urn:obs|o1", {
      body: observation(undefined, "p1", "o1"),
    });
    const none = await fx.w.e.call(dr1, "PUT", "Observation?identifier=urn:obs|nothing", {
      body: observation(undefined, "p1", "nothing"),
    });
    expect(hidden.status).toBe(403);
    expect(none.status).toBe(hidden.status);
    // two hidden matches (o1, o2 of p1 share the system) are not a 412 either
    const many = await fx.w.e.call(dr1, "PUT", "Observation?identifier=urn:obs|&subject=Patient/p1", {
      body: observation(undefined, "p1", "x"),
    });
    expect(many.status).toBe(403);
    // in the permitted compartment the same update finds its match
    const visible = await fx.w.e.call(dr1, "PUT", "Observation?identifier=urn:obs|o3", {
      body: observation(undefined, "p2", "o3"),
    });
    expect(visible.status).toBe(200);
  });
  it("conditional create, delete and patch don't see hidden matches", async () => {
    const created = await fx.w.e.call(dr1, "POST", "Observation", {
      body: observation(undefined, "p2", "new"),
      headers: { ifNoneExist: "identifier=urn:obs|o1" },
    });
    expect(created.status).toBe(201);
    const del = await fx.w.e.call(dr1, "DELETE", "Observation?identifier=urn:obs|o1");
    const delNone = await fx.w.e.call(dr1, "DELETE", "Observation?identifier=urn:obs|nothing");
    expect(del.status).toBe(delNone.status);
    expect((await fx.w.e.call(SYSTEM, "GET", "Observation/o1")).status).toBe(200);
    const patch = await fx.w.e.call(dr1, "PATCH", "Observation?identifier=urn:obs|o1", {
      body: [{ op: "replace", path: "/status", value: "amended" }],
    });
    const patchNone = await fx.w.e.call(dr1, "PATCH", "Observation?identifier=urn:obs|nothing", {
      body: [{ op: "replace", path: "/status", value: "amended" }],
    });
    expect(patch.status).toBe(patchNone.status);
    expect((await fx.w.e.call(SYSTEM, "GET", "Observation/o1")).resource!.status).toBe("final");
  });
  it("writes into a compartment need a permit; moving a resource out of sight is refused", async () => {
    expect((await fx.w.e.call(dr1, "POST", "Observation", { body: observation(undefined, "p1", "a") })).status).toBe(
      403,
    );
    expect((await fx.w.e.call(dr1, "POST", "Observation", { body: observation(undefined, "p2", "b") })).status).toBe(
      201,
    );
    expect((await fx.w.e.call(dr1, "PUT", "Observation/o3", { body: observation("o3", "p1", "o3") })).status).toBe(403);
    expect((await fx.w.e.call(dr1, "DELETE", "Observation/o1")).status).toBe(404);
    expect(
      (
        await fx.w.e.call(dr1, "PATCH", "Observation/o1", {
          body: [{ op: "replace", path: "/status", value: "amended" }],
        })
      ).status,
    ).toBe(404);
  });
});

describe("access request, approval, revocation, break-glass", () => {
  const fx = consentWorld([
    consent("deny-p3", "p3", { type: "deny", actor: actor("Practitioner/pr1") }),
    consent(
      "btg-p3",
      "p3",
      { type: "permit", actor: actor("Practitioner/pr1"), period: { start: "2000-01-01", end: "2999-01-01" } },
      { meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" }] } },
    ),
  ]);
  const request = (status: string, who = "Practitioner/pr1") => ({
    resourceType: "Consent",
    status,
    scope: { coding: [{ system: SCOPE, code: "patient-privacy" }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: "Patient/p1" },
    policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    provision: { type: "permit", actor: actor(who) },
  });
  it("denied → requests access → patient approves → reads → patient revokes → denied, on one token", async () => {
    const token: Actor = { ...dr1 }; // one actor object: as one bearer token across requests
    expect((await fx.w.e.call(token, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.e.call(token, "POST", "Consent", { body: request("active") })).status).toBe(403);
    expect(
      (await fx.w.e.call(token, "POST", "Consent", { body: request("proposed", "Practitioner/pr2") })).status,
    ).toBe(403);
    const asked = await fx.w.e.call(token, "POST", "Consent", { body: request("proposed") });
    expect(asked.status).toBe(201);
    const id = asked.resource!.id as string;
    expect((await fx.w.e.call(token, "GET", "Observation/o1")).status).toBe(404);
    // it follows its own request; no other practitioner sees it
    expect((await fx.w.e.call(token, "GET", `Consent/${id}`)).status).toBe(200);
    expect((await fx.w.search(token, "Consent?status=proposed")).match).toEqual([`Consent/${id}`]);
    expect((await fx.w.e.call(dr2, "GET", `Consent/${id}`)).status).toBe(404);
    // the practitioner can't approve its own request
    expect((await fx.w.e.call(token, "PUT", `Consent/${id}`, { body: { ...request("active"), id } })).status).toBe(403);
    const approved = await fx.w.e.call(patient1, "PUT", `Consent/${id}`, { body: { ...request("active"), id } });
    expect(approved.status).toBe(200);
    expect((await fx.w.e.call(token, "GET", "Observation/o1")).status).toBe(200);
    expect((await fx.w.search(token, "Observation?subject=Patient/p1")).total).toBe(2);
    const revoked = await fx.w.e.call(patient1, "PUT", `Consent/${id}`, { body: { ...request("inactive"), id } });
    expect(revoked.status).toBe(200);
    expect((await fx.w.e.call(token, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.search(token, "Observation?subject=Patient/p1")).total).toBe(0);
    expect((await fx.w.e.call(token, "GET", `Consent/${id}`)).resource!.status).toBe("inactive");
  });
  it("a practitioner may withdraw its own request, not touch another's Consent", async () => {
    const asked = await fx.w.e.call(dr1, "POST", "Consent", { body: request("proposed") });
    const id = asked.resource!.id as string;
    expect((await fx.w.e.call(dr2, "PUT", `Consent/${id}`, { body: { ...request("inactive"), id } })).status).toBe(404);
    expect((await fx.w.e.call(dr1, "PUT", `Consent/${id}`, { body: { ...request("inactive"), id } })).status).toBe(200);
    expect((await fx.w.e.call(dr1, "DELETE", "Consent/deny-p3")).status).toBe(404);
  });
  it("break-glass (a BTG Consent naming the practitioner) overrides a deny for reading, not writing", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o4")).status).toBe(200);
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p3")).total).toBe(1);
    expect((await fx.w.search(dr2, "Observation?subject=Patient/p3")).total).toBe(0);
    const write = await fx.w.e.call(dr1, "POST", "Observation", { body: observation(undefined, "p3", "btg") });
    expect(write.status).toBe(403);
  });
  it("refuses a Consent over the caps with a 422", async () => {
    let deep: Record<string, unknown> = { type: "deny" };
    for (let i = 0; i < 9; i++) deep = { type: "permit", provision: [deep] };
    const tooDeep = { ...request("active"), provision: deep };
    expect((await fx.w.e.call(patient1, "POST", "Consent", { body: tooDeep })).status).toBe(422);
    const actors = actor(...Array.from({ length: 65 }, (_, i) => `Practitioner/x${i}`));
    const tooMany = { ...request("active"), provision: { type: "permit", actor: actors } };
    expect((await fx.w.e.call(SYSTEM, "POST", "Consent", { body: tooMany })).status).toBe(422);
    const atCap = { ...request("active"), provision: { type: "permit", actor: actors.slice(0, 64) } };
    expect((await fx.w.e.call(patient1, "POST", "Consent", { body: atCap })).status).toBe(201);
  });
});

describe("$everything under a granular scope (opt-out: consent lets everything through)", () => {
  const fx = consentWorld([], { defaultDecision: "permit" });
  it("includes no shared resource only hidden members refer to", async () => {
    const dr: Actor = {
      ...dr1,
      scopes: ["user/Patient.rs", "user/Medication.rs", "user/Observation.rs?code=http://loinc.org|1"],
    };
    const every = await fx.w.e.call(dr, "GET", "Patient/p1/$everything");
    const got = entriesOf(every.resource);
    expect(got.match).toEqual(["Observation/o1", "Patient/p1"]);
    // Medication/med1 is referred to by MedicationRequest/mr1 only, which this caller may not see
    expect(got.include).toEqual([]);
    const all: Actor = { ...dr, scopes: [...dr.scopes, "user/MedicationRequest.rs"] };
    expect(entriesOf((await fx.w.e.call(all, "GET", "Patient/p1/$everything")).resource).include).toEqual([
      "Medication/med1",
    ]);
  });
});
