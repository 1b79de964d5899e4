import { describe, expect, it } from "vitest";
import type { Actor } from "../../auth/Actor.ts";
import { balpEvent, outcomeOfStatus } from "./balpEvent.ts";
import { breakGlassEvent, consentChangeEvent, consentDecisionEvent } from "./consentEvents.ts";
import { MAX_PATIENT_EVENTS, queryAuditEvents, restAuditEvent } from "./restEvents.ts";
import { loginAuditEvent, tokenAuditEvent } from "./securityEvents.ts";
import { erasureEvent, integrityFailureEvent } from "./systemEvents.ts";

const BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";
const recorded = new Date("2026-12-06T05:00:00Z");
const user: Actor = {
  id: "acct-7",
  role: "practitioner",
  scopes: ["user/*.rs"],
  fhirUser: "Practitioner/pr1",
  clientId: "ehr",
  tokenId: "jti-1",
};
const backend: Actor = { id: "svc", role: "system", scopes: ["system/*.rs"], clientId: "svc", tokenId: "jti-2" };

// biome-ignore lint/suspicious/noExplicitAny: the assertions read nested AuditEvent JSON
type Json = any;

const entityWithRole = (e: Json, role: string) => (e.entity as Json[]).filter((x) => x.role?.code === role);
const agentOfType = (e: Json, code: string) => (e.agent as Json[]).find((a) => a.type.coding[0].code === code);

describe("BALP builders", () => {
  it.each([
    ["create", "C", "Create"],
    ["read", "R", "Read"],
    ["update", "U", "Update"],
    ["delete", "D", "Delete"],
  ] as const)(
    "RESTful %s: action %s, profile %s, its Patient variant with the patient entity",
    (kind, action, name) => {
      const plain = restAuditEvent({
        kind,
        interaction: kind,
        what: "Practitioner/x",
        outcome: "0",
        actor: user,
        recorded,
      });
      expect(plain.action).toBe(action);
      expect((plain.meta as Json).profile).toEqual([`${BALP}IHE.BasicAudit.${name}`]);
      expect(plain.type).toEqual({
        system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
        code: "rest",
        display: "Restful Operation",
      });
      expect(entityWithRole(plain, "1")).toEqual([]);
      const withPatient = restAuditEvent({
        kind,
        interaction: kind,
        what: "Observation/o",
        patients: ["Patient/p"],
        outcome: "0",
        actor: user,
      });
      expect((withPatient.meta as Json).profile).toEqual([`${BALP}IHE.BasicAudit.Patient${name}`]);
      expect(entityWithRole(withPatient, "1")).toEqual([
        {
          what: { reference: "Patient/p" },
          type: expect.objectContaining({ code: "1" }),
          role: expect.objectContaining({ code: "1" }),
        },
      ]);
      expect(entityWithRole(withPatient, "4")[0].what).toEqual({ reference: "Observation/o" });
    },
  );

  it("agents: the user (fhirUser, jti in policy, purpose), the client (client_id), the server; the request id as an entity", () => {
    const e = balpEvent({
      profiles: [],
      type: { system: "s", code: "c" },
      subtype: [],
      action: "R",
      outcome: "0",
      actor: { ...user, purposeOfUse: "ETREAT" },
      requestId: "req-42",
      recorded,
    }) as Json;
    expect(e.recorded).toBe("2026-12-06T05:00:00.000Z");
    const userAgent = agentOfType(e, "IRCP")!;
    expect(userAgent.who.reference).toBe("Practitioner/pr1");
    expect(userAgent.policy).toEqual(["jti-1"]);
    expect(userAgent.requestor).toBe(true);
    expect(userAgent.purposeOfUse[0].coding[0].code).toBe("ETREAT");
    expect(e.purposeOfEvent[0].coding[0].code).toBe("ETREAT");
    const client = agentOfType(e, "110153")!;
    expect(client.who.identifier.value).toBe("ehr");
    expect(client.requestor).toBe(false);
    expect(agentOfType(e, "110152")!.requestor).toBe(false);
    const request = (e.entity as Json[]).find((x) => x.type.code === "XrequestId");
    expect(request.what.identifier.value).toBe("req-42");
    expect(JSON.stringify(e)).not.toContain("user/*.rs"); // scopes are not an agent's business here
  });

  it("a system client is the requestor, with the jti; an unauthenticated caller is named as such", () => {
    const e = restAuditEvent({ kind: "read", interaction: "read", outcome: "0", actor: backend }) as Json;
    const client = agentOfType(e, "110153")!;
    expect(client.requestor).toBe(true);
    expect(client.policy).toEqual(["jti-2"]);
    expect(agentOfType(e, "IRCP")).toBeUndefined();
    const anonymous = restAuditEvent({ kind: "read", interaction: "read", outcome: "8" }) as Json;
    expect(agentOfType(anonymous, "IRCP")!.who).toEqual({ display: "unauthenticated caller" });
  });

  it("Query: action E, the raw request base64 in the query entity, one event per patient", () => {
    const events = queryAuditEvents({
      interaction: "search-type",
      rawRequest: "GET /Observation?code=x",
      patients: ["Patient/a", "Patient/b", "Patient/a"],
      outcome: "0",
      actor: user,
    }) as Json[];
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.action).toBe("E");
      expect(e.meta.profile).toEqual([`${BALP}IHE.BasicAudit.PatientQuery`]);
      expect(Buffer.from(entityWithRole(e, "24")[0].query, "base64").toString()).toBe("GET /Observation?code=x");
    }
    expect(events.map((e) => entityWithRole(e, "1")[0].what.reference)).toEqual(["Patient/a", "Patient/b"]);
    const none = queryAuditEvents({
      interaction: "search-type",
      rawRequest: "GET /Practitioner",
      patients: [],
      outcome: "0",
    });
    expect((none[0]!.meta as Json).profile).toEqual([`${BALP}IHE.BasicAudit.Query`]);
  });

  it("Query over more patients than the cap: one event each up to it, one more naming all the rest", () => {
    const patients = Array.from({ length: MAX_PATIENT_EVENTS + 5 }, (_, i) => `Patient/p${i}`);
    const events = queryAuditEvents({
      interaction: "search-type",
      rawRequest: "GET /Observation",
      patients,
      outcome: "0",
    });
    expect(events).toHaveLength(MAX_PATIENT_EVENTS + 1);
    expect(entityWithRole(events.at(-1)!, "1")).toHaveLength(5);
    expect(events.flatMap((e) => entityWithRole(e, "1"))).toHaveLength(patients.length);
  });

  it("a quoted query is capped", () => {
    const [e] = queryAuditEvents({
      interaction: "search-type",
      rawRequest: `GET /Patient?name=${"x".repeat(100_000)}`,
      patients: [],
      outcome: "0",
    });
    expect(Buffer.from(entityWithRole(e!, "24")[0].query, "base64").length).toBe(4096);
  });

  it("AuthZ-Consent: Security Alert, subtype AuthZ-Consent, permit 0 / deny 8, the patient and the deciding consents", () => {
    const permit = consentDecisionEvent({
      actor: user,
      patient: "Patient/p",
      decision: "permit",
      breakGlass: false,
      consents: ["Consent/c1"],
    }) as Json;
    expect(permit.type.code).toBe("110113");
    expect(permit.subtype).toEqual([expect.objectContaining({ code: "AuthZ-Consent" })]);
    expect(permit.meta.profile).toEqual([`${BALP}IHE.BasicAudit.AuthZconsent`]);
    expect(permit.outcome).toBe("0");
    expect(entityWithRole(permit, "1")[0].what.reference).toBe("Patient/p");
    expect(entityWithRole(permit, "13")[0].what.reference).toBe("Consent/c1");
    const deny = consentDecisionEvent({
      actor: user,
      patient: "Patient/p",
      decision: "deny",
      breakGlass: false,
    }) as Json;
    expect(deny.outcome).toBe("8");
    const btg = consentDecisionEvent({
      actor: user,
      patient: "Patient/p",
      decision: "permit",
      breakGlass: true,
    }) as Json;
    expect(btg.meta.security[0].code).toBe("BTG");
    expect(btg.purposeOfEvent[0].coding[0].code).toBe("ETREAT");
  });

  it("ITI-71: User Authentication, subtype ITI-71, the jti and scopes, nothing secret", () => {
    const e = tokenAuditEvent({
      clientId: "ehr",
      grantType: "authorization_code",
      scope: "launch user/*.rs",
      tokenId: "jti-9",
      outcome: "0",
      actor: user,
    }) as Json;
    expect(e.type.code).toBe("110114");
    expect(e.subtype).toEqual([{ system: "urn:ihe:event-type-code", code: "ITI-71", display: "Get Access Token" }]);
    expect(e.meta.profile).toEqual([`${BALP}IHE.IUA.71`]);
    expect(agentOfType(e, "AuthzServer")).toBeDefined();
    expect(agentOfType(e, "IRCP")!.policy).toEqual(["jti-9"]);
    expect(JSON.stringify(e)).toContain("user/*.rs");
    const failed = tokenAuditEvent({ clientId: "ehr", outcome: "8", outcomeDesc: "invalid_grant" }) as Json;
    expect(failed.outcome).toBe("8");
    expect(agentOfType(failed, "110153")!.who.identifier.value).toBe("ehr");
  });

  it("login, failed login (with the name tried), logout", () => {
    const login = loginAuditEvent({ kind: "login", actor: user }) as Json;
    expect(login.subtype[0].code).toBe("110122");
    expect(login.outcome).toBe("0");
    const failed = loginAuditEvent({ kind: "login-failed", username: "mallory" }) as Json;
    expect(failed.outcome).toBe("8");
    expect(JSON.stringify(failed)).toContain("mallory");
    expect((loginAuditEvent({ kind: "logout", actor: user }) as Json).subtype[0].code).toBe("110123");
  });

  it("consent change, break-glass (ETREAT, BTG, reason), erasure, integrity failure", () => {
    const change = consentChangeEvent({
      consent: "Consent/c",
      patient: "Patient/p",
      change: "revoked",
      outcome: "0",
      actor: user,
    }) as Json;
    expect(change.subtype[1].code).toBe("consent-revoked");
    expect(entityWithRole(change, "1")[0].what.reference).toBe("Patient/p");
    const btg = breakGlassEvent({
      patient: "Patient/p",
      consent: "Consent/b",
      reason: "unconscious",
      outcome: "0",
      actor: user,
    }) as Json;
    expect(btg.purposeOfEvent[0].coding[0].code).toBe("ETREAT");
    expect(btg.meta.security[0].code).toBe("BTG");
    expect(btg.outcomeDesc).toContain("unconscious");
    const erased = erasureEvent({ what: "Patient/p", outcome: "0", actor: backend }) as Json;
    expect(erased.action).toBe("D");
    expect(erased.subtype[1].code).toBe("erase");
    const broken = integrityFailureEvent({ interaction: "read", what: "Observation/o" }) as Json;
    expect(broken.outcome).toBe("12");
    expect(broken.type.code).toBe("110113");
  });

  it("outcome of a status: 2xx success, 401/403 serious, other 4xx minor, 5xx major", () => {
    expect([200, 201, 304, 401, 403, 404, 412, 500, 503].map(outcomeOfStatus)).toEqual([
      "0",
      "0",
      "0",
      "8",
      "8",
      "4",
      "4",
      "12",
      "12",
    ]);
  });
});
