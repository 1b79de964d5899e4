import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../auth/Actor.ts";
import { scopedEngine } from "../../policy/testSupport/scopedEngine.ts";
import type { ScopedEngine } from "../../policy/testSupport/scopedEngine.ts";
import { createValidator } from "../validation/createValidator.ts";
import { breakGlass } from "./breakGlass.ts";

const drA: Actor = {
  id: "u-a",
  role: "practitioner",
  scopes: ["user/*.rs"],
  fhirUser: "Practitioner/a",
};
const system: Actor = { id: "sys", role: "system", scopes: ["system/*.*"] };
const params = (...parameter: Record<string, unknown>[]) => ({ resourceType: "Parameters", parameter });
const reason = (text = "unconscious in the emergency department") => ({ name: "reason", valueString: text });

describe("Patient/$break-glass", () => {
  let e: ScopedEngine;
  const post = (actor: Actor, id: string, body: unknown) =>
    e.call(actor, "POST", `Patient/${id}/$break-glass`, { body });
  beforeAll(async () => {
    e = await scopedEngine();
    await e.put(
      { resourceType: "Patient", id: "p1" },
      { resourceType: "Patient", id: "p2" },
      { resourceType: "Patient", id: "p3" },
    );
  });
  afterAll(async () => {
    await e.close();
  });

  it("writes an active BTG Consent for the practitioner over the period asked, answered 201 and readable afterwards", async () => {
    const before = Date.now();
    const res = await post(drA, "p1", params(reason(), { name: "minutes", valueInteger: 15 }));
    expect(res.status, JSON.stringify(res.error)).toBe(201);
    const consent = res.resource as { id: string; provision: { period: { start: string; end: string } } };
    expect(consent).toMatchObject({
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ code: "patient-privacy" }] },
      patient: { reference: "Patient/p1" },
      meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" }] },
      extension: [{ url: "urn:fhirledger:break-glass-reason", valueString: "unconscious in the emergency department" }],
      provision: {
        type: "permit",
        actor: [{ reference: { reference: "Practitioner/a" } }],
        action: [{ coding: [{ code: "access" }] }],
        purpose: [{ code: "ETREAT" }],
      },
    });
    const start = Date.parse(consent.provision.period.start);
    const end = Date.parse(consent.provision.period.end);
    expect(start).toBeGreaterThanOrEqual(before - 1000);
    expect(end - start).toBe(15 * 60_000);
    // a valid R4 Consent, stored in the patient's compartment
    expect(() => createValidator().validate(consent, { expectedType: "Consent" })).not.toThrow();
    const read = await e.call(system, "GET", `Consent/${consent.id}`);
    expect(read.resource).toEqual(consent);
    expect((await e.index.current("Consent", consent.id))?.compartment).toBe("Patient/p1");
    // flagged in the audit trail, without the reason's text
    const audit = await e.call(system, "GET", "AuditEvent?_count=100");
    const events = (
      (audit.resource?.entry ?? []) as { resource: { subtype?: { code: string }[]; outcome: string } }[]
    ).map((x) => x.resource);
    const flagged = events.find((ev) => ev.subtype?.[0]?.code === "break-glass" && ev.outcome === "0");
    expect(flagged).toBeDefined();
    expect(JSON.stringify(flagged)).not.toContain("unconscious");
  });

  it("asked again while it lasts, renews the practitioner's break-glass (200, a new version) rather than adding one", async () => {
    const first = await post(drA, "p2", params(reason(), { name: "minutes", valueInteger: 5 }));
    expect(first.status).toBe(201);
    const again = await post(drA, "p2", params(reason("still critical"), { name: "purpose", valueCode: "BTG" }));
    expect(again.status).toBe(200);
    const renewed = again.resource as {
      id: string;
      meta: { versionId: string };
      provision: { purpose: { code: string }[]; period: Record<string, string> };
    };
    expect(renewed.id).toBe(first.resource!.id);
    expect(renewed.meta.versionId).toBe("2");
    expect(renewed.provision.purpose[0]!.code).toBe("BTG");
    // no minutes: the server's longest
    expect(Date.parse(renewed.provision.period.end!) - Date.parse(renewed.provision.period.start!)).toBe(60 * 60_000);
    // another practitioner's is its own
    const drB = { ...drA, id: "u-b", fhirUser: "Practitioner/b" };
    const other = await post(drB, "p2", params(reason()));
    expect(other.status).toBe(201);
    expect(other.resource!.id).not.toBe(renewed.id);
    const all = await e.call(system, "GET", "Consent?patient=Patient/p2&_total=accurate");
    expect(all.resource?.total).toBe(2);
  });

  it("is refused (403) to everyone but practitioners, whatever their scopes", async () => {
    const others: Actor[] = [
      system,
      { id: "pt", role: "patient", patient: "p1", fhirUser: "Patient/p1", scopes: ["patient/*.*"] },
      { id: "adm", role: "admin", scopes: [] },
      { id: "aud", role: "auditor", scopes: ["user/AuditEvent.rs"] },
      { ...drA, fhirUser: undefined }, // a practitioner the server cannot name as the consent's actor
      { ...drA, scopes: ["user/AuditEvent.rs"] }, // a practitioner whose token may not read patients
    ] as Actor[];
    for (const actor of others) {
      const res = await post(actor, "p1", params(reason()));
      expect(res.status, `${actor.role} ${JSON.stringify(res.error)}`).toBe(403);
    }
  });

  it("refuses a missing or too long reason, an unknown or repeated parameter, another purpose and minutes past the cap, each with a 400", async () => {
    const bad: [unknown, RegExp][] = [
      [undefined, /Parameters body with a reason/],
      [{ resourceType: "Patient" }, /Parameters body/],
      [params(), /a reason is required/],
      [params(reason("   ")), /a reason is required/],
      [params({ name: "reason", valueInteger: 3 }), /a reason is required/],
      [params(reason("x".repeat(1001))), /longer than 1000 characters/],
      [params(reason(), { name: "note", valueString: "x" }), /unknown parameter 'note'/],
      [params(reason(), reason()), /given twice/],
      [params(...Array.from({ length: 9 }, () => reason())), /at most 8/],
      [params(reason(), { name: "purpose", valueCode: "TREAT" }), /purpose must be one of ETREAT, BTG/],
      [params(reason(), { name: "minutes", valueInteger: 61 }), /from 1 to 60/],
      [params(reason(), { name: "minutes", valueInteger: 0 }), /from 1 to 60/],
      [params(reason(), { name: "minutes", valueDecimal: 1.5 }), /from 1 to 60/],
    ];
    for (const [body, message] of bad) {
      const res = await post(drA, "p1", body);
      expect(res.status, JSON.stringify(body)?.slice(0, 80)).toBe(400);
      expect(res.error!.message).toMatch(message);
    }
    // a reason of exactly 1000 characters (not bytes) is taken
    expect((await post(drA, "p3", params(reason("é".repeat(1000))))).status).toBe(201);
  });

  it("answers 404 for a patient that is not there", async () => {
    expect((await post(drA, "nobody", params(reason()))).status).toBe(404);
  });

  it("keeps to the configured longest break-glass", async () => {
    const ctx = {
      index: {
        current: async () => ({
          rid: 1,
          type: "Patient",
          id: "p1",
          versionId: 1,
          deleted: false,
          lastUpdated: "",
          compartment: "Patient/p1",
        }),
      },
      records: { write: async () => ({}) },
      audit: { record: async () => "a" },
      maxBreakGlassMinutes: 5,
    } as never;
    await expect(
      breakGlass(ctx, drA, "Patient", "p1", params(reason(), { name: "minutes", valueInteger: 6 })),
    ).rejects.toMatchObject({ code: "invalid", message: expect.stringMatching(/from 1 to 5 /) });
  });
});
