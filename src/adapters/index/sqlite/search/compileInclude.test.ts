import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { toOperationOutcome } from "../../../../fhir/outcome/operationOutcome.ts";
import { compileInclude } from "./compileInclude.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { createTestDb } from "./testSupport/testDb.ts";

const db = createTestDb(fixtures);
const rid = (type: string, id: string) =>
  (db.prepare("SELECT rid FROM resources WHERE type = ? AND id = ?").get(type, id) as { rid: number }).rid;
const run = (...a: Parameters<typeof compileInclude>) => {
  const c = compileInclude(...a);
  return (db.prepare(c.sql).all(...c.args) as { rid: number }[])
    .map(
      ({ rid }) =>
        db.prepare("SELECT type || '/' || id AS ref FROM resources WHERE rid = ?").get(rid) as { ref: string },
    )
    .map((r) => r.ref)
    .sort();
};

describe("compileInclude", () => {
  const page = [rid("Observation", "o1"), rid("Observation", "o3"), rid("Observation", "o5")];

  it("includes reference targets that exist locally", () => {
    expect(run("include", { sourceType: "Observation", param: "subject", iterate: false }, page)).toEqual([
      "Patient/p1",
      "Patient/p2",
    ]);
    expect(run("include", { sourceType: "Observation", param: "*", iterate: false }, page)).toEqual([
      "Encounter/e1",
      "Encounter/e2",
      "Patient/p1",
      "Patient/p2",
      "Practitioner/pr1",
    ]);
    expect(
      run(
        "include",
        { sourceType: "Observation", param: "performer", targetType: "Organization", iterate: false },
        page,
      ),
    ).toEqual([]);
  });

  it("iterates by feeding included rids back in", () => {
    const patients = [rid("Patient", "p1"), rid("Patient", "p2")];
    expect(run("include", { sourceType: "Patient", param: "general-practitioner", iterate: true }, patients)).toEqual([
      "Practitioner/pr1",
      "Practitioner/pr2",
    ]);
  });

  it("reverse-includes resources pointing at the page", () => {
    expect(
      run("revinclude", { sourceType: "Observation", param: "subject", iterate: false }, [rid("Patient", "p1")]),
    ).toEqual(["Observation/o1", "Observation/o2"]);
    expect(
      run("revinclude", { sourceType: "Condition", param: "patient", iterate: false }, [
        rid("Patient", "p2"),
        rid("Patient", "p3"),
      ]),
    ).toEqual(["Condition/c2", "Condition/c3"]);
  });

  it("applies the policy to included resources", () => {
    const where = (a: string) => ({ sql: `${a}.id <> ?`, args: ["p1"] });
    expect(run("include", { sourceType: "Observation", param: "subject", iterate: false }, page, { where })).toEqual([
      "Patient/p2",
    ]);
  });

  it("rejects a non-reference parameter and too many sources", () => {
    expect(() => compileInclude("include", { sourceType: "Observation", param: "code", iterate: false }, [])).toThrow(
      FhirLedgerError,
    );
    expect(() =>
      compileInclude("include", { sourceType: "Observation", param: "subject", iterate: false }, [1, 2, 3], {
        maxSources: 2,
      }),
    ).toThrow(FhirLedgerError);
  });

  it("too many sources is a 400 whose issue is too-costly (the request is valid, the answer too expensive)", () => {
    let error: unknown;
    try {
      compileInclude("revinclude", { sourceType: "Observation", param: "subject", iterate: true }, [1, 2, 3], {
        maxSources: 2,
      });
    } catch (caught) {
      error = caught;
    }
    expect(toOperationOutcome(error)).toMatchObject({
      status: 400,
      outcome: {
        issue: [{ severity: "error", code: "too-costly", diagnostics: expect.stringContaining("more than 2") }],
      },
    });
  });
});
