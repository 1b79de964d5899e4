import { describe, expect, it } from "vitest";
import { errors, FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../errors/FhirLedgerError.ts";
import { createValidator } from "../validation/createValidator.ts";
import { informationOutcome, successOutcome, toOperationOutcome } from "./operationOutcome.ts";

describe("toOperationOutcome", () => {
  it.each<[ErrorCode, number, string]>([
    ["invalid", 400, "invalid"],
    ["bad-request", 400, "invalid"],
    ["unauthorized", 401, "login"],
    ["forbidden", 403, "forbidden"],
    ["not-found", 404, "not-found"],
    ["method-not-allowed", 405, "not-supported"],
    ["not-acceptable", 406, "not-supported"],
    ["conflict", 409, "conflict"],
    ["gone", 410, "deleted"],
    ["precondition-failed", 412, "conflict"],
    ["too-large", 413, "too-long"],
    ["unsupported-media-type", 415, "not-supported"],
    ["unprocessable", 422, "business-rule"],
    ["integrity", 500, "processing"],
    ["unavailable", 503, "transient"],
    ["internal", 500, "exception"],
  ])("maps %s to HTTP %i with issue code %s", (code, status, issueCode) => {
    const result = toOperationOutcome(new FhirLedgerError(code, "Patient/1 was not found"), "req-1");
    expect(result.status).toBe(status);
    expect(result.outcome.resourceType).toBe("OperationOutcome");
    expect(result.outcome.issue).toHaveLength(1);
    expect(result.outcome.issue[0]).toMatchObject({ severity: "error", code: issueCode });
  });

  it("passes a client error's message through", () => {
    const { outcome } = toOperationOutcome(errors.notFound("Patient/1 was not found"));
    expect(outcome.issue[0]?.diagnostics).toBe("Patient/1 was not found");
  });

  it("keeps validation issues with their expressions", () => {
    const error = errors.invalid("bad", [
      { type: "required", diagnostics: "Missing status", expression: ["Observation.status"] },
    ]);
    expect(toOperationOutcome(error).outcome.issue).toEqual([
      { severity: "error", code: "required", diagnostics: "Missing status", expression: ["Observation.status"] },
    ]);
  });

  it("says an integrity failure is one, without the internal message or cause", () => {
    const { status, outcome } = toOperationOutcome(
      errors.integrity("hash mismatch for bafy123", new Error("tag")),
      "req-9",
    );
    expect(status).toBe(500);
    expect(outcome.issue[0]?.diagnostics).toMatch(/integrity check/);
    expect(outcome.issue[0]?.diagnostics).toContain("req-9");
    expect(JSON.stringify(outcome)).not.toContain("bafy123");
  });

  it.each([
    ["an Error", new Error("SELECT * FROM patients WHERE name='Jane Doe'")],
    ["a string", "secret-token"],
    ["undefined", undefined],
    ["an internal FhirLedgerError", new FhirLedgerError("internal", "db at postgres://u:p@host failed")],
  ])("turns %s into a 500 that reveals only the request id", (_name, thrown) => {
    const { status, outcome } = toOperationOutcome(thrown, "req-42");
    expect(status).toBe(500);
    expect(outcome.issue).toEqual([
      { severity: "error", code: "exception", diagnostics: "Internal server error (request id req-42)" },
    ]);
  });

  it("produces OperationOutcomes that pass R4 validation", () => {
    const validator = createValidator();
    validator.validate(toOperationOutcome(new Error("x"), "r").outcome);
    validator.validate(
      toOperationOutcome(errors.invalid("bad", [{ type: "value", diagnostics: "d", expression: ["Patient.id"] }]))
        .outcome,
    );
    validator.validate(informationOutcome("Deleted Patient/1"));
    validator.validate(successOutcome());
  });
});

describe("informationOutcome and successOutcome", () => {
  it("carry one informational issue", () => {
    expect(informationOutcome("Deleted")).toEqual({
      resourceType: "OperationOutcome",
      issue: [{ severity: "information", code: "informational", diagnostics: "Deleted" }],
    });
    expect(successOutcome().issue[0]?.diagnostics).toBe("All OK");
  });
});
