import { describe, expect, it } from "vitest";
import { Oracle, type OracleCaller, type OracleOptions } from "./support/oracle.ts";
import { DAY, SYS } from "./support/vocab.ts";

/* The oracle against hand-worked examples of consent-spec.md, so the model the properties trust is itself checked. */

type Json = Record<string, unknown>;
const now = Date.parse("2026-06-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const dr1: OracleCaller = { role: "practitioner", fhirUser: "Practitioner/dr1", scopes: "user/*.rs", purpose: "TREAT" };
const optIn: OracleOptions = { defaultDecision: "deny", bindsClients: [], now };

const obs = (id: string, extra: Json = {}): Json => ({
  resourceType: "Observation",
  id,
  subject: { reference: "Patient/p1" },
  code: { coding: [{ system: SYS.loinc, code: "1111-1" }] },
  ...extra,
});
const consent = (provision: Json, extra: Json = {}): Json => ({
  resourceType: "Consent",
  id: `c${Math.abs(JSON.stringify(provision).length)}`,
  status: "active",
  scope: { coding: [{ system: SYS.scope, code: "patient-privacy" }] },
  patient: { reference: "Patient/p1" },
  provision,
  ...extra,
});
const actor = (reference: string) => ({ reference: { reference } });
const sees = (world: Json[], caller = dr1, options = optIn, key = "Observation/o1") =>
  new Oracle(world, caller, options).visible("s").has(key);

describe("the consent oracle", () => {
  it("is opt-in for practitioners by default, opt-out when configured; resources outside compartments pass", () => {
    expect(sees([obs("o1")])).toBe(false);
    expect(sees([obs("o1")], dr1, { ...optIn, defaultDecision: "permit" })).toBe(true);
    expect(sees([{ resourceType: "Practitioner", id: "x" }], dr1, optIn, "Practitioner/x")).toBe(true);
  });

  it("counts only active patient-privacy consents of the patient within their root period", () => {
    const permit = { actor: [actor("Practitioner/dr1")] };
    expect(sees([obs("o1"), consent(permit)])).toBe(true);
    expect(sees([obs("o1"), consent(permit, { status: "proposed" })])).toBe(false);
    expect(sees([obs("o1"), consent(permit, { scope: { coding: [{ system: SYS.scope, code: "research" }] } })])).toBe(
      false,
    );
    expect(sees([obs("o1"), consent(permit, { patient: { reference: "Patient/p2" } })])).toBe(false);
    const expired = { ...permit, period: { end: iso(now - DAY) } };
    expect(sees([obs("o1"), consent(expired)])).toBe(false);
  });

  it("lets a matching child override its parent, deny winning among siblings, and deny override across consents", () => {
    const nested = {
      type: "permit",
      actor: [actor("Practitioner/dr1")],
      provision: [{ type: "deny", securityLabel: [{ system: SYS.confidentiality, code: "R" }] }],
    };
    const labelled = obs("o1", { meta: { security: [{ system: SYS.confidentiality, code: "R" }] } });
    expect(sees([obs("o1"), consent(nested)])).toBe(true);
    expect(sees([labelled, consent(nested)])).toBe(false);
    // a permit grandchild inside the deny child makes it a permit again
    const deeper = { ...nested, provision: [{ ...nested.provision[0], provision: [{ type: "permit" }] }] };
    expect(sees([labelled, consent(deeper)])).toBe(true);
    // siblings: deny wins
    const siblings = { type: "deny", provision: [{ type: "permit" }, { type: "deny" }] };
    expect(sees([obs("o1"), consent(siblings)])).toBe(false);
    // two consents: one denies, the other permits: deny
    expect(
      sees([obs("o1"), consent({ actor: [actor("Practitioner/dr1")] }), { ...consent({ type: "deny" }), id: "c2" }]),
    ).toBe(false);
  });

  it("matches actors through roles, organizations of active roles, and active care teams", () => {
    const world = (ref: string, extra: Json[] = []) => [obs("o1"), consent({ actor: [actor(ref)] }), ...extra];
    const role = (id: string, active?: boolean) => ({
      resourceType: "PractitionerRole",
      id,
      practitioner: { reference: "Practitioner/dr1" },
      organization: { reference: "Organization/org1" },
      ...(active === undefined ? {} : { active }),
    });
    expect(sees(world("PractitionerRole/r1", [role("r1", false)]))).toBe(true);
    expect(sees(world("Organization/org1", [role("r1")]))).toBe(true);
    expect(sees(world("Organization/org1", [role("r1", false)]))).toBe(false);
    const team = (status?: string) => ({
      resourceType: "CareTeam",
      id: "t1",
      ...(status ? { status } : {}),
      participant: [{ member: { reference: "Practitioner/dr1" } }],
    });
    expect(sees(world("CareTeam/t1", [team()]))).toBe(true);
    expect(sees(world("CareTeam/t1", [team("inactive")]))).toBe(false);
    expect(sees(world("Practitioner/dr2"))).toBe(false);
  });

  it("reads action, class, code, purpose and data as the spec says, and fails safe on unknown elements", () => {
    const only = (p: Json, world: Json[] = [], caller = dr1) =>
      sees([obs("o1"), consent({ actor: [actor("Practitioner/dr1")], ...p }), ...world], caller);
    expect(only({ action: [{ coding: [{ system: SYS.action, code: "access" }] }] })).toBe(true);
    expect(only({ action: [{ coding: [{ system: SYS.action, code: "correct" }] }] })).toBe(false);
    expect(only({ class: [{ code: "Observation" }] })).toBe(true);
    expect(only({ class: [{ system: "urn:other", code: "Observation" }] })).toBe(false);
    expect(only({ code: [{ coding: [{ system: SYS.snomed, code: "1111-1" }] }] })).toBe(false);
    expect(only({ code: [{ coding: [{ system: SYS.loinc, code: "1111-1" }] }] })).toBe(true);
    expect(only({ purpose: [{ system: SYS.actReason, code: "ETREAT" }] })).toBe(false);
    expect(only({ purpose: [{ system: SYS.actReason, code: "ETREAT" }] }, [], { ...dr1, purpose: "ETREAT" })).toBe(
      true,
    );
    expect(only({ dataPeriod: { start: iso(now - DAY) } })).toBe(false);
    const enc = { resourceType: "Encounter", id: "e1", subject: { reference: "Patient/p1" } };
    const data = (meaning: string, reference: string) => ({ data: [{ meaning, reference: { reference } }] });
    expect(only(data("instance", "Observation/o1"))).toBe(true);
    expect(only(data("related", "Encounter/e1"), [enc])).toBe(false);
    const linked = obs("o1", { encounter: { reference: "Encounter/e1" } });
    expect(
      sees([linked, enc, consent({ actor: [actor("Practitioner/dr1")], ...data("related", "Encounter/e1") })]),
    ).toBe(true);
    expect(
      only(data("dependents", "Encounter/e1"), [{ ...enc, reasonReference: [{ reference: "Observation/o1" }] }]),
    ).toBe(true);
    expect(only(data("authoredby", "Observation/o1"))).toBe(false);
    // ... and a deny carrying authoredby applies as if `data` were absent
    const denyAuthored = { ...consent({ type: "deny", ...data("authoredby", "Encounter/e1") }), id: "c8" };
    expect(sees([obs("o1"), consent({ actor: [actor("Practitioner/dr1")] }), denyAuthored])).toBe(false);
    // a deny carrying an unknown element applies as if it were absent
    const deny = { type: "deny", dataPeriod: { start: iso(now - DAY) } };
    expect(sees([obs("o1"), consent({ actor: [actor("Practitioner/dr1")] }), { ...consent(deny), id: "c9" }])).toBe(
      false,
    );
  });

  it("gives patients their own compartment, binds only listed system clients, and lets break-glass override denies", () => {
    const me: OracleCaller = {
      role: "patient",
      patient: "p1",
      fhirUser: "Patient/p1",
      scopes: "patient/*.rs",
      purpose: "TREAT",
    };
    expect(sees([obs("o1"), consent({ type: "deny" })], me)).toBe(true);
    const sys = (clientId: string): OracleCaller => ({
      role: "system",
      clientId,
      scopes: "system/*.rs",
      purpose: "TREAT",
    });
    expect(sees([obs("o1")], sys("a"))).toBe(true);
    expect(sees([obs("o1")], sys("a"), { ...optIn, bindsClients: ["a"] })).toBe(false);
    expect(sees([obs("o1")], sys("a"), { ...optIn, bindsClients: "*" })).toBe(false);
    const btg = consent(
      { type: "permit", actor: [actor("Practitioner/dr1")], period: { start: iso(now - DAY), end: iso(now + DAY) } },
      { id: "btg", meta: { security: [{ system: SYS.actReason, code: "BTG" }] } },
    );
    expect(sees([obs("o1"), consent({ type: "deny" }), btg])).toBe(true);
    expect(sees([obs("o1"), consent({ type: "deny" }), { ...btg, status: "inactive" }])).toBe(false);
  });
});
