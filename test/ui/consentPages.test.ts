import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/Actor.ts";
import { scopedEngine } from "../../src/policy/testSupport/scopedEngine.ts";
import type { ScopedEngine } from "../../src/policy/testSupport/scopedEngine.ts";
import { consentPortalOf } from "../../src/server/consentPortal/consentPortalOf.ts";
import type { ConsentPortal } from "../../src/ui/ports.ts";
import { Browser, GOOD_PASSWORD, signIn, uiTestServer } from "./uiTestServer.ts";

const SYSTEM: Actor = { id: "test", role: "system", scopes: ["system/*.cruds"] };
const SCOPE = { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] };

/** The page's main text, tags stripped and spaces folded: what a reader sees. */
function text(body: string): string {
  const main = /<main[^>]*>([\s\S]*)<\/main>/.exec(body)?.[1] ?? body;
  return main
    .replace(/<[^>]+>/g, " ")
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

function auditEvent(n: number, patient: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: "AuditEvent",
    id: `ae${n}`,
    type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110" },
    action: "R",
    recorded: new Date(Date.UTC(2026, 10, 1, 10, n)).toISOString(),
    outcome: "0",
    agent: [{ who: { reference: "Practitioner/d1", display: "Gregory House" }, requestor: true }],
    source: { observer: { display: "fhirledger" } },
    entity: [{ what: { reference: patient } }, { what: { reference: `Observation/o${n}` } }],
    ...extra,
  };
}

describe("consent pages over the real engine (SQLite index, SMART access)", () => {
  let se: ScopedEngine;
  let portal: ConsentPortal;
  let server: ReturnType<typeof uiTestServer>;
  const breakGlassCalls: unknown[] = [];

  beforeAll(async () => {
    se = await scopedEngine();
    const real = consentPortalOf(se.engine, () => "http://fhir.test");
    // $break-glass is another part's operation: the page's call is recorded here, the rest is real.
    portal = {
      ...real,
      breakGlass: async (user, input) => {
        breakGlassCalls.push({ user: user.username, ...input });
        return { consentId: "btg1", end: "2026-12-06T06:00:00Z" };
      },
    };
    server = uiTestServer({ consents: portal });
    await se.put(
      { resourceType: "Patient", id: "p1", name: [{ given: ["Ann"], family: "Lee" }] },
      { resourceType: "Patient", id: "p2", name: [{ given: ["Bob"], family: "Ray" }] },
      { resourceType: "Practitioner", id: "d1", name: [{ prefix: ["Dr"], given: ["Gregory"], family: "House" }] },
      {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        code: { text: "Blood pressure" },
        subject: { reference: "Patient/p1" },
        effectiveDateTime: "2026-11-01T09:00:00Z",
      },
      {
        resourceType: "Consent",
        id: "other",
        status: "proposed",
        scope: SCOPE,
        category: [{ text: "x" }],
        patient: { reference: "Patient/p2" },
        policyRule: { text: "x" },
        provision: { type: "permit", actor: [{ role: { text: "x" }, reference: { reference: "Practitioner/d1" } }] },
      },
    );
    await server.users.createUser({
      username: "ann",
      email: "ann@example.org",
      password: GOOD_PASSWORD,
      role: "patient",
      fhirUser: "Patient/p1",
    });
    await server.users.createUser({
      username: "house",
      password: GOOD_PASSWORD,
      role: "practitioner",
      fhirUser: "Practitioner/d1",
    });
  });
  afterAll(async () => {
    await se?.close();
  });

  const as = async (username: string) => {
    const browser = new Browser(server.app, server.origin);
    await signIn(browser, username);
    return browser;
  };
  const consent = async (id: string) => (await se.call(SYSTEM, "GET", `Consent/${id}`)).resource!;

  it("practitioner requests access → patient sees it with the practitioner's name → approves → revokes; the Consent's status follows", async () => {
    const doctor = await as("house");
    const form = await doctor.get("/request-access");
    expect(form.res.status).toBe(200);
    // The one Consent naming this practitioner so far: a pending one of another patient.
    expect(text(form.body)).toMatch(/Your requests .*Patient\/p2 All No time limit Waiting for the patient's answer$/);
    const sent = await doctor.post("/request-access", {
      patient: "Patient/p1",
      class_Observation: "on",
      class_Condition: "on",
      end: "2099-01-31",
    });
    expect(sent.res.status).toBe(303);
    expect(sent.res.headers.get("location")).toBe("/request-access?notice=sent");
    const listed = text((await doctor.get("/request-access?notice=sent")).body);
    expect(listed).toContain("Your request is sent");
    expect(listed).toMatch(
      /Patient\/p1 Observation, Condition Until 2099-01-31 23:59 UTC Waiting for the patient's answer/,
    );

    const search = await se.call(SYSTEM, "GET", "Consent?patient=Patient/p1");
    const entries = (search.resource!.entry as { resource: Record<string, unknown> }[]).map((e) => e.resource);
    expect(entries).toHaveLength(1);
    const written = entries[0]!;
    expect(written).toMatchObject({
      status: "proposed",
      scope: SCOPE,
      patient: { reference: "Patient/p1" },
      provision: {
        type: "permit",
        actor: [{ reference: { reference: "Practitioner/d1" } }],
        period: { end: "2099-01-31T23:59:59Z" },
        class: [
          { system: "http://hl7.org/fhir/resource-types", code: "Observation" },
          { system: "http://hl7.org/fhir/resource-types", code: "Condition" },
        ],
      },
    });
    const id = String(written.id);

    const ann = await as("ann");
    const page = await ann.get("/consents");
    expect(page.res.status).toBe(200);
    const seenByAnn = text(page.body);
    expect(seenByAnn).toMatch(
      /Waiting for your answer .*Who Which records When Status Action Dr Gregory House Practitioner\/d1 Observation, Condition Until 2099-01-31 23:59 UTC Waiting for your answer Approve .* Reject/,
    );
    expect(page.body).toContain(`action="/consents/${id}/approve"`);
    expect(page.body).toContain(`action="/consents/${id}/reject"`);
    // Another patient's pending request is not on Ann's page.
    expect(page.body).not.toContain("/consents/other/");

    const approved = await ann.post(`/consents/${id}/approve`, {});
    expect(approved.res.status).toBe(303);
    expect((await consent(id)).status).toBe("active");
    const after = await ann.get("/consents?notice=approve");
    expect(text(after.body)).toContain("Approved: they can see the records it covers from now on.");
    expect(after.body).toContain(`action="/consents/${id}/revoke"`);
    expect(after.body).not.toContain(`action="/consents/${id}/approve"`);

    // Approving twice is refused (it is no longer a request), nothing changes.
    const again = await ann.post(`/consents/${id}/approve`, {});
    expect(again.res.status).toBe(409);
    expect(text(again.body)).toContain("This request is no longer waiting for your answer.");

    expect(text((await doctor.get("/request-access")).body)).toMatch(/Patient\/p1 .* Active Open/);

    expect((await ann.post(`/consents/${id}/revoke`, {})).res.status).toBe(303);
    expect((await consent(id)).status).toBe("inactive");
    expect(text((await ann.get("/consents")).body)).toMatch(/Past .*Dr Gregory House.* Revoked/);
    expect(text((await doctor.get("/request-access")).body)).toMatch(/Patient\/p1 .* Revoked/);
  });

  it("a patient can't decide another patient's Consent, nor post without the form's token, nor an unknown decision", async () => {
    const ann = await as("ann");
    await ann.get("/consents");
    const foreign = await ann.post("/consents/other/approve", {});
    expect(foreign.res.status).toBe(404);
    expect((await consent("other")).status).toBe("proposed");
    expect((await ann.post("/consents/other/approve", { _csrf: "forged" })).res.status).toBe(403);
    expect((await ann.post("/consents/other/delete", {})).res.status).toBe(404);
    expect((await ann.post("/consents/..%2Fx/approve", {})).res.status).toBe(400);
    expect((await consent("other")).status).toBe("proposed");
  });

  it("each page is for its role: others get 403, visitors are sent to sign in", async () => {
    const ann = await as("ann");
    const doctor = await as("house");
    for (const path of ["/request-access", "/break-glass", "/patients/p1"])
      expect((await ann.get(path)).res.status, path).toBe(403);
    for (const path of ["/consents", "/access-log"]) expect((await doctor.get(path)).res.status, path).toBe(403);
    const visitor = new Browser(server.app, server.origin);
    const res = (await visitor.get("/consents")).res;
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fconsents");
  });

  it("a request with a bad patient, dates in the wrong order or in the past is refused with the reason, nothing written", async () => {
    const doctor = await as("house");
    await doctor.get("/request-access");
    const before = (await se.call(SYSTEM, "GET", "Consent?_summary=count")).resource!.total;
    for (const [fields, message] of [
      [{ patient: "Patient/a b" }, "Enter the patient as Patient/<id>"],
      [{ patient: `Patient/${"x".repeat(65)}` }, "Enter the patient as Patient/<id>"],
      [{ patient: "Patient/p1", start: "2099-02-01", end: "2099-01-01" }, "Until must not be before From."],
      [{ patient: "Patient/p1", end: "2001-01-01" }, "Until must not be in the past."],
      [{ patient: "Patient/p1", end: "2099-02-30" }, "Until must be a date (YYYY-MM-DD)."],
    ] as const) {
      const { res, body } = await doctor.post("/request-access", fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(text(body)).toContain(message);
    }
    expect((await se.call(SYSTEM, "GET", "Consent?_summary=count")).resource!.total).toBe(before);
  });

  it("the practitioner reads a patient's records through the engine; an unknown one is 'access not granted' with a way to ask", async () => {
    const doctor = await as("house");
    const records = await doctor.get("/patients/p1");
    expect(records.res.status).toBe(200);
    expect(text(records.body)).toMatch(
      /Records of Ann Lee .*Observation Blood pressure 2026-11-01 09:00 UTC Observation\/o1/,
    );
    const denied = await doctor.get("/patients/nobody");
    expect(denied.res.status).toBe(403);
    expect(text(denied.body)).toContain("You do not have access to the records of Patient/nobody");
    expect(denied.body).toContain('href="/request-access?patient=Patient%2Fnobody#new-request"');
    expect(denied.body).toContain('href="/break-glass?patient=Patient%2Fnobody"');
    expect((await doctor.get("/patients/a%20b")).res.status).toBe(404);
  });

  it("the picker finds visible patients by name and links to a prefilled request", async () => {
    const doctor = await as("house");
    const { body } = await doctor.get("/request-access?q=Lee");
    expect(text(body)).toContain("Ann Lee Request access");
    expect(body).toContain('href="/request-access?patient=Patient/p1#new-request"');
    expect(body).not.toContain("Bob Ray");
    expect((await doctor.get("/request-access?patient=Patient/p2")).body).toContain('value="Patient/p2"');
  });

  it("the access log lists the patient's AuditEvents newest first, 20 a page, break-glass flagged; pages out of range are 400", async () => {
    const events = Array.from({ length: 24 }, (_, i) => auditEvent(i, "Patient/p1"));
    events.push(
      auditEvent(50, "Patient/p1", {
        purposeOfEvent: [
          { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "ETREAT" }] },
        ],
      }),
      auditEvent(51, "Patient/p2"),
    );
    await se.put(...events);
    const ann = await as("ann");
    const first = await ann.get("/access-log");
    expect(first.res.status).toBe(200);
    const rows = first.body.match(/<tr[ >]/g)!.length - 1;
    expect(rows).toBe(20);
    const seen = text(first.body);
    // The newest is the break-glass one, flagged; another patient's is not there.
    expect(seen).toMatch(
      /2026-11-01 10:50 UTC Gregory House read Observation\/o50 Emergency access \(break-glass\) Allowed ETREAT/,
    );
    expect(seen).not.toContain("Observation/o51");
    expect(first.body).toContain('href="/access-log?page=2"');
    const second = await ann.get("/access-log?page=2");
    expect(second.body.match(/<tr[ >]/g)!.length - 1).toBe(5);
    expect(text(second.body)).toMatch(/Observation\/o0 Allowed$|Observation\/o0 Allowed /);
    expect(second.body).not.toContain("page=3");
    for (const page of ["0", "abc", "501", "99999"])
      expect((await ann.get(`/access-log?page=${page}`)).res.status, page).toBe(400);
  });

  it("break-glass: the form refuses a missing or long reason, bad minutes or purpose; a good one calls $break-glass and says until when", async () => {
    const doctor = await as("house");
    const form = await doctor.get("/break-glass?patient=Patient/p2");
    expect(form.body).toContain('value="Patient/p2"');
    for (const [fields, message] of [
      [{ patient: "Patient/p2", reason: " ", purpose: "ETREAT" }, "Give the reason for emergency access."],
      [
        { patient: "Patient/p2", reason: "x".repeat(1001), purpose: "ETREAT" },
        "The reason is at most 1000 characters.",
      ],
      [
        { patient: "Patient/p2", reason: "collapsed", purpose: "ETREAT", minutes: "1441" },
        "Minutes must be a whole number",
      ],
      [
        { patient: "Patient/p2", reason: "collapsed", purpose: "ETREAT", minutes: "-5" },
        "Minutes must be a whole number",
      ],
    ] as const) {
      const { res, body } = await doctor.post("/break-glass", fields);
      expect(res.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(text(body)).toContain(message);
    }
    expect(breakGlassCalls).toEqual([]);
    const done = await doctor.post("/break-glass", {
      patient: "Patient/p2",
      reason: "Unconscious in the ED",
      purpose: "ETREAT",
      minutes: "30",
    });
    expect(done.res.status).toBe(200);
    expect(text(done.body)).toContain("Emergency access to Patient/p2 is open until 2026-12-06 06:00 UTC");
    expect(done.body).toContain('href="/patients/p2"');
    expect(breakGlassCalls).toEqual([
      { user: "house", patient: "Patient/p2", reason: "Unconscious in the ED", purpose: "ETREAT", minutes: 30 },
    ]);
  });

  it("an active Consent whose period is over shows as ended among the past ones, with nothing to revoke", async () => {
    await se.put({
      resourceType: "Consent",
      id: "old-btg",
      status: "active",
      meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" }] },
      scope: SCOPE,
      category: [{ text: "x" }],
      patient: { reference: "Patient/p1" },
      policyRule: { text: "x" },
      provision: {
        type: "permit",
        period: { start: "2026-01-01T10:00:00Z", end: "2026-01-01T11:00:00Z" },
        actor: [{ role: { text: "x" }, reference: { reference: "Practitioner/d1" } }],
      },
    });
    const ann = await as("ann");
    const { body } = await ann.get("/consents");
    expect(text(body)).toMatch(/Past .*Emergency access \(break-glass\).*Ended \(its period is over\)/);
    expect(text(body)).not.toContain("Emergency access is open on your records.");
    expect(body).not.toContain("/consents/old-btg/revoke");
  });
});
