import { describe, expect, it } from "vitest";
import type { AccessorContext } from "./ConsentSource.ts";
import { consentView } from "./consentView.ts";
import { gateCondition } from "../adapters/index/sqlite/search/gateCondition.ts";
import { sizeOf } from "./policyExpr.ts";
import { actor, CONFIDENTIALITY, consent, LOINC } from "./testSupport/consentWorld.ts";

const RT = "http://hl7.org/fhir/resource-types";
const me: AccessorContext = { fhirUser: "Practitioner/pr1", memberships: [], purpose: "TREAT" };
const now = new Date("2026-06-01T00:00:00Z");
const obs = (id: string, code: string, security?: string) => ({
  resourceType: "Observation",
  id,
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: "Patient/p1" },
  ...(security ? { meta: { security: [{ system: CONFIDENTIALITY, code: security }] } } : {}),
});
const condition = { resourceType: "Condition", id: "c1", subject: { reference: "Patient/p1" } };
const P1 = "Patient/p1";
const optIn = { defaultDecision: "deny" as const, now };
const optOut = { defaultDecision: "permit" as const, now };

describe("consentView", () => {
  it("nested exceptions: a deny inside a permit, a permit inside that deny", () => {
    const view = consentView(
      [
        consent("k", "p1", {
          type: "permit",
          actor: actor("Practitioner/pr1"),
          provision: [
            {
              type: "deny",
              class: [{ system: RT, code: "Observation" }],
              provision: [{ type: "permit", code: [{ coding: [{ system: LOINC, code: "1" }] }] }],
            },
          ],
        }),
      ],
      me,
      optIn,
    );
    expect(view.decide(obs("o1", "1"), P1, "access")).toBe(true);
    expect(view.decide(obs("o2", "2"), P1, "access")).toBe(false);
    expect(view.decide(condition, P1, "access")).toBe(true);
    expect(view.decide(condition, "Patient/p2", "access")).toBe(false);
    expect(view.decide({ resourceType: "Medication", id: "m" }, null, "access")).toBe(true);
  });
  it("several consents: deny overrides permit; where none decides, the default", () => {
    const consents = [
      consent("a", "p1", { actor: actor("Practitioner/pr1") }),
      consent("b", "p1", { type: "deny", securityLabel: [{ system: CONFIDENTIALITY, code: "R" }] }),
    ];
    const view = consentView(consents, me, optIn);
    expect(view.decide(obs("o1", "1"), P1, "access")).toBe(true);
    expect(view.decide(obs("o2", "1", "R"), P1, "access")).toBe(false);
    const out = consentView([consents[1]!], me, optOut);
    expect(out.decide(obs("o1", "1"), P1, "access")).toBe(true);
    expect(out.decide(obs("o2", "1", "R"), P1, "access")).toBe(false);
    expect(out.decide(obs("o3", "1"), "Patient/p2", "access")).toBe(true);
    expect(consentView([], me, optIn).decide(obs("o1", "1"), P1, "access")).toBe(false);
  });
  it("only active, patient-privacy consents within their period count", () => {
    const permit = { actor: actor("Practitioner/pr1") };
    for (const c of [
      consent("p", "p1", permit, { status: "proposed" }),
      consent("i", "p1", permit, { status: "inactive" }),
      consent("s", "p1", permit, { scope: { coding: [{ system: "x", code: "patient-privacy" }] } }),
      consent("t", "p1", { ...permit, period: { end: "2026-05-31" } }),
      consent("f", "p1", { ...permit, period: { start: "2026-06-02" } }),
    ])
      expect(consentView([c], me, optIn).decide(condition, P1, "access"), String(c.id)).toBe(false);
    expect(consentView([consent("ok", "p1", permit)], me, optIn).decide(condition, P1, "access")).toBe(true);
  });
  it("holds until the next period boundary", () => {
    const view = consentView(
      [consent("t", "p1", { actor: actor("Practitioner/pr1"), period: { end: "2026-06-01T10:00:00Z" } })],
      me,
      optIn,
    );
    expect(view.validUntil).toBe(Date.parse("2026-06-01T10:00:00Z") + 1);
    expect(consentView([], me, optIn).validUntil).toBe(Number.POSITIVE_INFINITY);
  });
  it("fails safe on elements it does not evaluate: a permit carrying one never matches, a deny always", () => {
    const permit = consent("k", "p1", { actor: actor("Practitioner/pr1"), dataPeriod: { start: "2020" } });
    expect(consentView([permit], me, optIn).decide(condition, P1, "access")).toBe(false);
    const deny = consent("d", "p1", {
      type: "deny",
      actor: actor("Practitioner/pr1"),
      data: [{ meaning: "authoredby", reference: { reference: "Practitioner/x" } }],
    });
    expect(consentView([deny], me, optOut).decide(condition, P1, "access")).toBe(false);
    const mixed = consent("m", "p1", {
      actor: actor("Practitioner/pr1"),
      data: [
        { meaning: "authoredby", reference: { reference: "Practitioner/x" } },
        { meaning: "instance", reference: { reference: "Condition/c1" } },
      ],
    });
    expect(consentView([mixed], me, optIn).decide(condition, P1, "access")).toBe(false);
    const dependents = consent("e", "p1", {
      type: "deny",
      actor: actor("Practitioner/pr1"),
      data: [{ meaning: "dependents", reference: { reference: "DiagnosticReport/x" } }],
    });
    expect(consentView([dependents], me, optOut).decide(condition, P1, "access")).toBe(false);
    const resolved = new Map([["DiagnosticReport/x", ["Observation/o1"]]]);
    const view = consentView([dependents], me, { ...optOut, dependents: resolved });
    expect(view.decide(condition, P1, "access")).toBe(true);
    expect(view.decide(obs("o1", "1"), P1, "access")).toBe(false);
  });
  it("a counting Consent it can't read is a deny of its patient's compartment", () => {
    const broken = consent("b", "p1", { type: "maybe" });
    expect(consentView([broken], me, optOut).decide(condition, P1, "access")).toBe(false);
    expect(consentView([broken], me, optOut).decide(condition, "Patient/p2", "access")).toBe(true);
  });
  it("actions: access and correct are decided apart", () => {
    const view = consentView(
      [
        consent("k", "p1", {
          actor: actor("Practitioner/pr1"),
          action: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "access" }] }],
        }),
      ],
      me,
      optIn,
    );
    expect(view.decide(condition, P1, "access")).toBe(true);
    expect(view.decide(condition, P1, "correct")).toBe(false);
  });
  it("break-glass opens the compartment to reading, over a deny, while its period holds", () => {
    const btg = (end: string) =>
      consent(
        "g",
        "p1",
        { actor: actor("Practitioner/pr1"), period: { start: "2026-05-31", end } },
        { meta: { security: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "BTG" }] } },
      );
    const deny = consent("d", "p1", { type: "deny", actor: actor("Practitioner/pr1") });
    const view = consentView([deny, btg("2026-06-01T01:00:00Z")], me, optIn);
    expect(view.breakGlass).toEqual(new Set([P1]));
    expect(view.decide(obs("o2", "2", "R"), P1, "access")).toBe(true);
    expect(view.decide(condition, P1, "correct")).toBe(false);
    expect(view.validUntil).toBe(Date.parse("2026-06-01T01:00:00Z") + 1);
    const over = consentView([deny, btg("2026-05-31T12:00:00Z")], me, optIn);
    expect(over.decide(condition, P1, "access")).toBe(false);
    const other = consentView([btg("2026-06-02")], { ...me, fhirUser: "Practitioner/pr2" }, optIn);
    expect(other.breakGlass.size).toBe(0);
  });
  it("a patient always reaches its own compartment", () => {
    const view = consentView(
      [consent("d", "p1", { type: "deny" })],
      { memberships: [], purpose: "TREAT" },
      {
        ...optIn,
        own: P1,
      },
    );
    expect(view.decide(condition, P1, "access")).toBe(true);
    expect(view.decide(condition, P1, "correct")).toBe(true);
    expect(view.decide(condition, "Patient/p2", "access")).toBe(false);
  });
  it("patients whose consents decide alike share one compartment list: the query stays small", () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      consent(`k${i}`, `q${i}`, { actor: actor("Practitioner/pr1") }),
    );
    const view = consentView(many, me, optIn);
    expect(sizeOf(view.expr)).toBeLessThan(10);
    const ctx = { now: 0, maxChainDepth: 3, maxOrValues: 100, alias: 0, terms: 0, maxTerms: 1000 };
    expect(gateCondition(view.expr, { a: "r" }, ctx).args.length).toBeLessThan(12);
    expect(view.decide(condition, "Patient/q19999", "access")).toBe(true);
    expect(view.decide(condition, "Patient/q20000", "access")).toBe(false);
  });
});
