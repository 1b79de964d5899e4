import { describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import {
  actor,
  CONFIDENTIALITY,
  consent,
  consentWorld,
  dr1,
  dr2,
  dr3,
  LOINC,
  patient1,
  SYSTEM,
} from "./testSupport/consentWorld.ts";

const RT = "http://hl7.org/fhir/resource-types";

describe("consent: opt-in default", () => {
  const fx = consentWorld([]);
  it("gives a practitioner without a permit nothing of any compartment, and exact zero totals", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(404);
    const s = await fx.w.search(dr1, "Observation");
    expect(s.total).toBe(0);
    expect(s.match).toEqual([]);
    expect((await fx.w.search(dr1, "Observation?_summary=count")).total).toBe(0);
    expect((await fx.w.search(dr1, "?_count=100")).match).toEqual(["Medication/med1", "Practitioner/pr1"]);
  });
  it("still lets a patient reach its own compartment, and only its own", async () => {
    expect((await fx.w.e.call(patient1, "GET", "Observation/o1")).status).toBe(200);
    expect((await fx.w.search(patient1, "Observation")).match).toEqual(["Observation/o1", "Observation/o2"]);
  });
  it("answers a hidden resource and an absent one alike", async () => {
    const hidden = await fx.w.e.call(dr1, "GET", "Observation/o1");
    const absent = await fx.w.e.call(dr1, "GET", "Observation/zz");
    expect(hidden.status).toBe(absent.status);
    expect(hidden.error!.message.replace("o1", "zz")).toBe(absent.error!.message);
  });
});

describe("consent: a permit and a nested deny", () => {
  const fx = consentWorld([
    consent("k1", "p1", {
      type: "permit",
      actor: actor("Practitioner/pr1"),
      provision: [{ type: "deny", securityLabel: [{ system: CONFIDENTIALITY, code: "R" }] }],
    }),
  ]);
  it("shows the permitted patient's compartment but the restricted resource, with exact totals", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(200);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o2")).status).toBe(404);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o3")).status).toBe(404);
    const s = await fx.w.search(dr1, "Observation");
    expect(s.match).toEqual(["Observation/o1"]);
    expect(s.total).toBe(1);
    expect((await fx.w.search(dr1, "Observation?_summary=count")).total).toBe(1);
    expect((await fx.w.search(dr1, "Patient")).match).toEqual(["Patient/p1"]);
  });
  it("vread and $verify follow the same decision", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1/_history/1")).status).toBe(200);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o2/_history/1")).status).toBe(404);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o2/$verify")).status).toBe(404);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o3/$verify")).status).toBe(404);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1/$verify")).status).toBe(200);
  });
  it("history at every level lists only visible versions", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o2/_history")).status).toBe(404);
    const keys = (b: Record<string, unknown> | undefined) =>
      ((b?.entry ?? []) as { fullUrl: string }[]).map((x) => x.fullUrl.replace("http://fhir.test/", "")).sort();
    expect(keys((await fx.w.e.call(dr1, "GET", "Observation/o1/_history")).resource)).toEqual(["Observation/o1"]);
    expect(keys((await fx.w.e.call(dr1, "GET", "Observation/_history")).resource)).toEqual(["Observation/o1"]);
    const all = keys((await fx.w.e.call(dr1, "GET", "_history?_count=100")).resource);
    expect(all).not.toContain("Observation/o2");
    expect(all).not.toContain("Observation/o3");
    expect(all).not.toContain("Condition/c2");
    expect(all).toContain("Condition/c1");
    expect(all).toContain("Medication/med1");
  });
  it("a patient's unrestricted compartment: another practitioner sees nothing of it", async () => {
    expect((await fx.w.search(dr2, "Observation")).total).toBe(0);
  });
});

describe("consent: provision elements", () => {
  const fx = consentWorld([
    consent("class", "p1", { actor: actor("Practitioner/pr1"), class: [{ system: RT, code: "Observation" }] }),
    consent("code", "p2", { actor: actor("Practitioner/pr1"), code: [{ coding: [{ system: LOINC, code: "1" }] }] }),
    consent("past", "p3", { actor: actor("Practitioner/pr1"), period: { start: "2001-01-01", end: "2002-01-01" } }),
    consent("role", "p1", { actor: actor("PractitionerRole/role2"), class: [{ system: RT, code: "Condition" }] }),
    consent("org", "p2", { actor: actor("Organization/org1"), class: [{ system: RT, code: "Condition" }] }),
    consent("team", "p3", { actor: actor("CareTeam/ct1") }),
  ]);
  it("class: only the resource types named", async () => {
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p1")).match).toEqual([
      "Observation/o1",
      "Observation/o2",
    ]);
    expect((await fx.w.search(dr1, "Condition?subject=Patient/p1")).total).toBe(0);
  });
  it("code: only resources with the code", async () => {
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p2")).match).toEqual(["Observation/o3"]);
    expect((await fx.w.search(dr1, "Condition?subject=Patient/p2")).total).toBe(0);
  });
  it("period: a provision whose period has ended permits nothing", async () => {
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p3")).total).toBe(0);
  });
  it("actors: a PractitionerRole, an Organization through the role, a CareTeam membership", async () => {
    expect((await fx.w.search(dr2, "Condition")).match).toEqual(["Condition/c1", "Condition/c2"]);
    expect((await fx.w.search(dr2, "Observation")).total).toBe(0);
    expect((await fx.w.search(dr3, "Observation")).match).toEqual(["Observation/o4"]);
    expect((await fx.w.search(dr1, "Condition")).total).toBe(0);
  });
});

describe("consent: data, purpose and action", () => {
  const fx = consentWorld(
    [
      consent("inst", "p1", {
        actor: actor("Practitioner/pr1"),
        data: [{ meaning: "instance", reference: { reference: "Observation/o2" } }],
      }),
      consent("rel", "p1", {
        actor: actor("Practitioner/pr2"),
        data: [{ meaning: "related", reference: { reference: "Observation/o1" } }],
      }),
      consent("dep", "p1", {
        actor: actor("Practitioner/pr3"),
        data: [{ meaning: "dependents", reference: { reference: "DiagnosticReport/dr1" } }],
      }),
      consent("purpose", "p2", {
        actor: actor("Practitioner/pr1"),
        purpose: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HRESCH" }],
      }),
      consent("purpose3", "p3", {
        actor: actor("Practitioner/pr2"),
        purpose: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "HRESCH" }],
      }),
      consent("act", "p2", {
        actor: actor("Practitioner/pr3"),
        action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "access" }] }],
      }),
    ],
    { purpose: { "Practitioner/pr2": "HRESCH" } },
  );
  it("instance: the one resource", async () => {
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p1")).match).toEqual(["Observation/o2"]);
  });
  it("related: the resource and those referring to it", async () => {
    expect((await fx.w.search(dr2, "?_type=Observation,DiagnosticReport,Condition&subject=Patient/p1")).match).toEqual([
      "DiagnosticReport/dr1",
      "Observation/o1",
    ]);
  });
  it("dependents: the resource and what it refers to", async () => {
    expect((await fx.w.search(dr3, "?_type=Observation,DiagnosticReport&subject=Patient/p1")).match).toEqual([
      "DiagnosticReport/dr1",
      "Observation/o1",
    ]);
  });
  it("purpose: a permit for research does not serve treatment, and does serve a research purpose", async () => {
    expect((await fx.w.search(dr1, "Observation?subject=Patient/p2")).total).toBe(0);
    expect((await fx.w.search(dr2, "Observation?subject=Patient/p3")).match).toEqual(["Observation/o4"]);
  });
  it("action: an access-only permit reads but does not write into the compartment", async () => {
    expect((await fx.w.e.call(dr3, "GET", "Observation/o3")).status).toBe(200);
    const body = {
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      subject: { reference: "Patient/p2" },
    };
    expect((await fx.w.e.call(dr3, "POST", "Observation", { body })).status).toBe(403);
    const update = { ...body, id: "o3" };
    expect((await fx.w.e.call(dr3, "PUT", "Observation/o3", { body: update })).status).toBe(404);
  });
});

describe("consent: opt-out default and system clients", () => {
  const fx = consentWorld([consent("no", "p1", { type: "deny", actor: actor("Practitioner/pr1") })], {
    defaultDecision: "permit",
    bindsClients: ["bound-client"],
  });
  it("opt-out: everything but what a deny covers", async () => {
    expect((await fx.w.search(dr1, "Observation")).match).toEqual(["Observation/o3", "Observation/o4"]);
    expect((await fx.w.search(dr2, "Observation")).total).toBe(4);
  });
  it("system clients: an unbound one sees everything, a bound one follows consent", async () => {
    expect((await fx.w.search(SYSTEM, "Observation")).total).toBe(4);
    const bound: Actor = { ...SYSTEM, clientId: "bound-client" };
    expect((await fx.w.search(bound, "Observation")).total).toBe(4);
  });
});

describe("consent: bound system clients under opt-in", () => {
  const fx = consentWorld([], { bindsClients: "*" });
  it("a bound client with no consent sees no compartment data", async () => {
    expect((await fx.w.search(SYSTEM, "Observation")).total).toBe(0);
    expect((await fx.w.e.call(SYSTEM, "GET", "Medication/med1")).status).toBe(200);
  });
});

describe("consent: dependents follow the resource named", () => {
  const fx = consentWorld([
    consent("dep", "p1", {
      actor: actor("Practitioner/pr3"),
      data: [{ meaning: "dependents", reference: { reference: "DiagnosticReport/dr1" } }],
    }),
  ]);
  it("a result taken out of the report is out of the consent from the next request", async () => {
    expect((await fx.w.e.call(dr3, "GET", "Observation/o1")).status).toBe(200);
    const report = (await fx.w.e.call(SYSTEM, "GET", "DiagnosticReport/dr1")).resource!;
    const { result: _dropped, ...without } = report;
    expect((await fx.w.e.call(SYSTEM, "PUT", "DiagnosticReport/dr1", { body: without })).status).toBe(200);
    expect((await fx.w.e.call(dr3, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.e.call(dr3, "GET", "DiagnosticReport/dr1")).status).toBe(200);
  });
});

describe("consent: searched on a reader thread, and each decision reported", () => {
  const decisions: { who: string; patient: string; decision: string; breakGlass: boolean }[] = [];
  const fx = consentWorld(
    [
      consent("k1", "p1", {
        actor: actor("Practitioner/pr1"),
        provision: [{ type: "deny", code: [{ coding: [{ system: LOINC, code: "2" }] }] }],
      }),
    ],
    { readers: true, onDecision: (who, d) => decisions.push({ who: who.id, ...d }) },
  );
  it("the gate crosses to the reader with the query: matches, totals, history and $everything agree", async () => {
    const s = await fx.w.search(dr1, "Observation?_total=accurate");
    expect(s.match).toEqual(["Observation/o1"]);
    expect(s.total).toBe(1);
    const history = await fx.w.e.call(dr1, "GET", "Observation/_history");
    expect(((history.resource!.entry ?? []) as unknown[]).length).toBe(1);
    const every = await fx.w.e.call(dr1, "GET", "Patient/p1/$everything");
    expect(every.resource!.total).toBe(6); // Patient, o1, c1, dr1, mr1, the Consent
  });
  it("reports each decision on one resource of a compartment to onDecision", async () => {
    decisions.length = 0;
    await fx.w.e.call(dr1, "GET", "Observation/o1");
    await fx.w.e.call(dr1, "GET", "Observation/o2");
    await fx.w.e.call(dr1, "GET", "Medication/med1");
    expect(decisions).toEqual([
      { who: dr1.id, patient: "Patient/p1", decision: "permit", breakGlass: false },
      { who: dr1.id, patient: "Patient/p1", decision: "deny", breakGlass: false },
    ]);
  });
});

describe("consent: time-limited consents end on time, views or no views", () => {
  let clock = Date.parse("2026-06-01T10:00:00Z");
  const fx = consentWorld(
    [
      consent(
        "btg",
        "p1",
        { actor: actor("Practitioner/pr1"), period: { start: "2026-06-01T09:00:00Z", end: "2026-06-01T11:00:00Z" } },
        { meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" }] } },
      ),
      consent("until", "p2", { actor: actor("Practitioner/pr1"), period: { end: "2026-06-01T10:30:00Z" } }),
    ],
    { now: () => new Date(clock) },
  );
  it("a break-glass and a permit stop at their period's end for the same token", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(200);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o3")).status).toBe(200);
    clock = Date.parse("2026-06-01T10:31:00Z");
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(200);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o3")).status).toBe(404);
    clock = Date.parse("2026-06-01T11:00:01Z");
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.search(dr1, "Observation")).total).toBe(0);
  });
});

describe("consent: wallet-bound consents count while the chain honours them", () => {
  const honoured = new Set<string>();
  const fx = consentWorld(
    [
      consent("w1", "p1", { actor: actor("Practitioner/pr1") }),
      consent("w2", "p2", { actor: actor("Practitioner/pr1") }),
    ],
    {
      wallet: {
        walletOf: (patient) => (patient === "Patient/p1" ? "0xabc" : undefined),
        honoured: (c, wallet) => wallet === "0xabc" && honoured.has(String(c.id)),
        version: () => 0,
      },
    },
  );
  it("an operator-written consent of a wallet-linked patient does not count; an honoured one does until revoked on chain", async () => {
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.e.call(dr1, "GET", "Observation/o3")).status).toBe(200); // p2 has no wallet
    honoured.add("w1");
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(200);
    honoured.delete("w1");
    expect((await fx.w.e.call(dr1, "GET", "Observation/o1")).status).toBe(404);
    expect((await fx.w.search(dr1, "Observation")).match).toEqual(["Observation/o3"]);
  });
});
