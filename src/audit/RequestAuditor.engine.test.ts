import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import type { AuditTrail } from "./AuditTrail.ts";
import { RequestAuditor } from "./RequestAuditor.ts";
import type { AuditedEngine } from "./testSupport/auditedEngine.ts";
import { auditedEngine, patientsOf } from "./testSupport/auditedEngine.ts";

const practitioner: Actor = {
  id: "dr",
  role: "practitioner",
  scopes: ["user/Observation.crus", "user/Patient.rs"],
  fhirUser: "Practitioner/pr1",
  clientId: "ehr-app",
  tokenId: "jti-123",
};
const system: Actor = { id: "sys", role: "system", scopes: ["system/*.*"], clientId: "backend" };

function observation(id: string, patient: string) {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    code: { text: "x" },
    subject: { reference: `Patient/${patient}` },
  };
}

describe("every interaction through the engine is audited before it is answered", () => {
  let fx: AuditedEngine;
  beforeAll(async () => {
    fx = await auditedEngine();
    await fx.put(
      { resourceType: "Patient", id: "p1" },
      { resourceType: "Patient", id: "p2" },
      observation("o1", "p1"),
      observation("o2", "p2"),
      { resourceType: "Condition", id: "c1", subject: { reference: "Patient/p1" } },
    );
  });
  afterAll(async () => fx.close());

  it("a read: BALP PatientRead, the patient, the user with its jti, the client, the server, the request id", async () => {
    expect((await fx.call(practitioner, "GET", "Observation/o1", { requestId: "r-read" })).status).toBe(200);
    const [event, ...more] = await fx.journalled("r-read");
    expect(more).toEqual([]);
    expect(event!.meta).toEqual({
      profile: ["https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"],
    });
    expect(event!.action).toBe("R");
    expect(event!.outcome).toBe("0");
    expect(event!.subtype).toEqual([{ system: "http://hl7.org/fhir/restful-interaction", code: "read" }]);
    expect(patientsOf(event!)).toEqual(["Patient/p1"]);
    const agents = event!.agent as {
      who: { reference?: string; identifier?: { value: string } };
      policy?: string[];
      requestor: boolean;
      type: { coding: { code: string }[] };
    }[];
    expect(agents[0]!.who.reference).toBe("Practitioner/pr1");
    expect(agents[0]!.policy).toEqual(["jti-123"]);
    expect(agents[0]!.requestor).toBe(true);
    expect(agents[1]!.who.identifier!.value).toBe("ehr-app");
    expect(agents[2]!.type.coding[0]!.code).toBe("110152");
    expect(JSON.stringify(event)).toContain("Observation/o1");
  });

  it("a refused read (no scope for Condition) is audited as a serious failure", async () => {
    expect((await fx.call(practitioner, "GET", "Condition/c1", { requestId: "r-denied" })).status).toBe(403);
    const [event] = await fx.journalled("r-denied");
    expect(event!.outcome).toBe("8");
    expect(event!.outcomeDesc).toContain("forbidden");
    expect(JSON.stringify(event)).toContain("Condition/c1");
  });

  it("a read of what does not exist (404) and a path no route serves are audited too", async () => {
    expect((await fx.call(practitioner, "GET", "Observation/nope", { requestId: "r-404" })).status).toBe(404);
    expect((await fx.journalled("r-404"))[0]!.outcome).toBe("4");
    expect((await fx.call(practitioner, "GET", "Nope/x/y/z/w", { requestId: "r-noroute" })).status).toBe(404);
    expect(await fx.journalled("r-noroute")).toHaveLength(1);
  });

  it("a search: BALP Query, action E, the raw request as the query entity, one event per patient in the result", async () => {
    const answer = await fx.call(practitioner, "GET", "Observation?status=final", { requestId: "r-search" });
    expect(answer.status).toBe(200);
    const events = await fx.journalled("r-search");
    expect(events.flatMap(patientsOf).sort()).toEqual(["Patient/p1", "Patient/p2"]);
    for (const event of events) {
      expect(event.action).toBe("E");
      expect((event.meta as { profile: string[] }).profile[0]).toMatch(/IHE\.BasicAudit\.PatientQuery$/);
      const query = (event.entity as { role?: { code: string }; query?: string }[]).find((e) => e.role?.code === "24");
      expect(Buffer.from(query!.query!, "base64").toString()).toBe("GET /Observation?status=final");
    }
  });

  it("a search that finds no one's data is one Query event", async () => {
    await fx.call(practitioner, "GET", "Observation?status=cancelled", { requestId: "r-empty" });
    const events = await fx.journalled("r-empty");
    expect(events).toHaveLength(1);
    expect((events[0]!.meta as { profile: string[] }).profile[0]).toMatch(/IHE\.BasicAudit\.Query$/);
  });

  it("a create: PatientCreate naming the new resource and its patient", async () => {
    const created = await fx.call(practitioner, "POST", "Observation", {
      requestId: "r-create",
      body: { resourceType: "Observation", status: "final", code: { text: "y" }, subject: { reference: "Patient/p2" } },
    });
    expect(created.status).toBe(201);
    const [event] = await fx.journalled("r-create");
    expect(event!.action).toBe("C");
    expect((event!.meta as { profile: string[] }).profile[0]).toMatch(/PatientCreate$/);
    expect(patientsOf(event!)).toEqual(["Patient/p2"]);
    expect(JSON.stringify(event)).toContain(`Observation/${created.resource!.id}`);
  });

  it("a batch: the Bundle's event and one per entry, a refused entry as a failure", async () => {
    const answer = await fx.call(practitioner, "POST", "", {
      requestId: "r-batch",
      body: {
        resourceType: "Bundle",
        type: "batch",
        entry: [
          { request: { method: "GET", url: "Observation/o1" } },
          { request: { method: "GET", url: "Condition/c1" } },
        ],
      },
    });
    expect(answer.status).toBe(200);
    const events = await fx.journalled("r-batch");
    const subtypes = events.map((e) => (e.subtype as { code: string }[])[0]!.code);
    expect(subtypes.sort()).toEqual(["batch", "read", "read"]);
    const refused = events.find((e) => JSON.stringify(e).includes("Condition/c1"));
    expect(refused!.outcome).toBe("8");
  });

  it("a consent decision taken during a request is recorded with it (AuthZ-Consent), a break-glass one flags the request", async () => {
    const actor: Actor = { ...practitioner };
    // the consent layer (consentAccess's onDecision) reports from inside the request it decides for
    const { auditor } = fx;
    const answer = await auditor.around(
      actor,
      {
        method: "GET",
        path: ["Observation", "o1"],
        query: new URLSearchParams(),
        rawQuery: "",
        headers: {},
        baseUrl: "",
        requestId: "r-btg",
      },
      { interaction: "read", level: "instance", type: "Observation", id: "o1", inBundle: false },
      async () => {
        auditor.decision(actor, { patient: "Patient/p1", decision: "permit", breakGlass: true });
        auditor.decision(actor, { patient: "Patient/p1", decision: "permit", breakGlass: true });
        return { status: 200 };
      },
    );
    expect(answer.status).toBe(200);
    const events = await fx.journalled("r-btg");
    expect(events).toHaveLength(2);
    const decision = events.find((e) => (e.subtype as { code: string }[])[0]!.code === "AuthZ-Consent")!;
    expect(decision.purposeOfEvent).toEqual([
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "ETREAT" }] },
    ]);
    const read = events.find((e) => e !== decision)!;
    expect((read.meta as { security: { code: string }[] }).security[0]!.code).toBe("BTG");
  });

  it("auditors find the events once answered: an AuditEvent search drains the journal first", async () => {
    await fx.call(practitioner, "GET", "Observation/o2", { requestId: "r-seen" });
    expect(fx.journal.pending()).toBeGreaterThan(0);
    const found = await fx.call(system, "GET", "AuditEvent?patient=Patient/p2&_count=1000");
    expect(found.status).toBe(200);
    expect(fx.journal.pending()).toBeLessThanOrEqual(1); // only this search's own events wait
    const text = JSON.stringify(found.resource);
    expect(text).toContain("r-seen");
    expect(text).not.toContain('"r-read"'); // Patient/p1's read is not Patient/p2's
  });

  it("the answer (or the error) is given only after the request's events are durable, and not at all when they can't be", async () => {
    let release!: () => void;
    let fail!: (e: unknown) => void;
    const appended: unknown[][] = [];
    const trail = {
      enabled: true,
      flush: async () => undefined,
      append: (events: unknown[]) => {
        appended.push(events);
        return new Promise<string[]>((resolve, reject) => {
          release = () => resolve([]);
          fail = reject;
        });
      },
    } as unknown as AuditTrail;
    const auditor = new RequestAuditor(trail);
    const request = {
      method: "GET",
      path: ["Patient", "p1"],
      query: new URLSearchParams(),
      rawQuery: "",
      headers: {},
      baseUrl: "",
    };
    const descriptor = {
      interaction: "read" as const,
      level: "instance" as const,
      type: "Patient",
      id: "p1",
      inBundle: false,
    };
    let answered = false;
    const answer = auditor
      .around(practitioner, request, descriptor, async () => ({ status: 200 }))
      .then((r) => {
        answered = true;
        return r;
      });
    await new Promise((r) => setTimeout(r, 50));
    expect(appended).toHaveLength(1);
    expect(answered).toBe(false);
    release();
    expect((await answer).status).toBe(200);

    const refused = auditor.around(practitioner, request, descriptor, async () => {
      throw new Error("boom");
    });
    await new Promise((r) => setTimeout(r, 20));
    fail(new Error("journal down"));
    await expect(refused).rejects.toThrow("journal down");
  });

  it("a Consent written is also a consent change for its patient: requested, then granted, then revoked", async () => {
    const consent = (status: string, id?: string) => ({
      resourceType: "Consent",
      ...(id ? { id } : {}),
      status,
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
      patient: { reference: "Patient/p1" },
      policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
      provision: {
        type: "permit",
        actor: [
          {
            role: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "PRCP" }] },
            reference: { reference: "Practitioner/pr1" },
          },
        ],
      },
    });
    const created = await fx.call(system, "POST", "Consent", { requestId: "r-c1", body: consent("proposed") });
    expect(created.status).toBe(201);
    const id = String(created.resource!.id);
    await fx.call(system, "PUT", `Consent/${id}`, { requestId: "r-c2", body: consent("active", id) });
    await fx.call(system, "PUT", `Consent/${id}`, { requestId: "r-c3", body: consent("inactive", id) });
    const changes = [];
    for (const r of ["r-c1", "r-c2", "r-c3"]) {
      const change = (await fx.journalled(r)).find((e) => JSON.stringify(e.subtype).includes("consent-"))!;
      expect(patientsOf(change)).toEqual(["Patient/p1"]);
      changes.push((change.subtype as { code: string }[])[1]!.code);
    }
    expect(changes).toEqual(["consent-requested", "consent-granted", "consent-revoked"]);
  });

  it("auditConsentDecision: a decision outside any request is recorded at once", async () => {
    const { auditConsentDecision } = await import("./auditConsentDecision.ts");
    const before = fx.journal.pending();
    auditConsentDecision(fx.auditor)(practitioner, { patient: "Patient/p2", decision: "deny", breakGlass: false });
    await new Promise((r) => setTimeout(r, 50));
    const entries = await fx.journal.read(0, 100_000);
    expect(fx.journal.pending()).toBe(before + 1);
    const last = entries.at(-1)!.event;
    expect(last.outcome).toBe("8");
    expect((last.subtype as { code: string }[])[0]!.code).toBe("AuthZ-Consent");
  });
});
