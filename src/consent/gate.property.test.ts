import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compartmentOf } from "../fhir/resource/compartmentOf.ts";
import { parseSystemSearchRequest } from "../fhir/search/parseSystemSearchRequest.ts";
import { type ScopedEngine, scopedEngine } from "../policy/testSupport/scopedEngine.ts";
import type { PolicyExpr } from "../ports/SearchRequest.ts";
import type { FhirResource } from "../records/RecordRepository.ts";
import { evaluatePolicyExpr } from "./evaluatePolicyExpr.ts";
import { baseData, CONFIDENTIALITY, LOINC } from "./testSupport/consentWorld.ts";

const extra: FhirResource[] = [
  {
    resourceType: "Observation",
    id: "o5",
    status: "final",
    code: { coding: [{ code: "1" }, { system: "urn:other", code: "2" }] },
    subject: { reference: "Patient/p2" },
    hasMember: [{ reference: "Observation/o3" }],
    meta: { security: [{ code: "R" }] },
  },
  {
    resourceType: "Condition",
    id: "c3",
    subject: { reference: "Patient/p3" },
    code: { coding: [{ system: LOINC, code: "1" }] },
  },
];
const data = [...baseData(), ...extra];
const keys = data.map((r) => `${r.resourceType}/${String(r.id)}`);

const token = (system: string | undefined, value: string) => (system === undefined ? { value } : { system, value });
const atom: fc.Arbitrary<PolicyExpr> = fc.oneof(
  fc.constant<PolicyExpr>({ kind: "true" }),
  fc.constant<PolicyExpr>({ kind: "false" }),
  fc.constant<PolicyExpr>({ kind: "noCompartment" }),
  fc
    .subarray(["Patient/p1", "Patient/p2", "Patient/p3", "Patient/p9"], { minLength: 1 })
    .map((compartments): PolicyExpr => ({ kind: "compartmentIn", compartments })),
  fc
    .subarray(["Observation", "Condition", "Patient", "Medication", "DiagnosticReport"], { minLength: 1 })
    .map((types): PolicyExpr => ({ kind: "typeIn", types })),
  fc.subarray(keys, { minLength: 1, maxLength: 4 }).map((refs): PolicyExpr => ({ kind: "idIn", refs })),
  fc
    .subarray(["Observation/o1", "Observation/o3", "Patient/p1", "Medication/med1"], { minLength: 1 })
    .map((refs): PolicyExpr => ({ kind: "refersTo", refs })),
  fc.constantFrom("Patient/p1", "Patient/p2", "Observation/o3").map(
    (value): PolicyExpr => ({
      kind: "filter",
      type: "Observation",
      filter: { kind: "param", code: "subject", paramType: "reference", values: [{ value }] },
    }),
  ),
  fc
    .tuple(
      fc.constantFrom("Observation", "Condition", "DiagnosticReport"),
      fc.constantFrom("code", "_security"),
      fc.constantFrom(LOINC, CONFIDENTIALITY, "", undefined, "urn:other"),
      fc.constantFrom("1", "2", "R"),
    )
    .map(
      ([type, code, system, value]): PolicyExpr => ({
        kind: "filter",
        type,
        filter: { kind: "param", code, paramType: "token", values: [token(system, value)] },
      }),
    ),
);
const expr: fc.Arbitrary<PolicyExpr> = fc.letrec<{ e: PolicyExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    fc.array(tie("e"), { maxLength: 3 }).map((of): PolicyExpr => ({ kind: "and", of })),
    fc.array(tie("e"), { maxLength: 3 }).map((of): PolicyExpr => ({ kind: "or", of })),
    tie("e").map((of): PolicyExpr => ({ kind: "not", of })),
  ),
})).e;

describe("a PolicyExpr means the same in SQL and in memory", () => {
  let e: ScopedEngine;
  beforeAll(async () => {
    e = await scopedEngine();
    await e.put(...data);
  });
  afterAll(async () => {
    await e.close();
  });
  it("selects exactly the resources the in-memory evaluator admits (search, count)", async () => {
    await fc.assert(
      fc.asyncProperty(expr, async (gate) => {
        const request = {
          ...parseSystemSearchRequest(new URLSearchParams("_count=1000")),
          policy: { rules: [{ types: "*" as const, filters: [] }], gate },
        };
        const page = await e.index.search(request, { countTotal: true });
        const sql = page.matches.map((v) => `${v.type}/${v.id}`).sort();
        const memory = data
          .filter((r) => evaluatePolicyExpr(gate, r, compartmentOf(r as never)))
          .map((r) => `${r.resourceType}/${String(r.id)}`)
          .sort();
        expect(sql).toEqual(memory);
        expect(page.total).toBe(memory.length);
      }),
      { numRuns: 400, seed: 18 },
    );
  });
});
