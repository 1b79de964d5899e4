import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../errors/FhirLedgerError.ts";
import type { OperationOutcome, OperationOutcomeIssue } from "../types/r4.ts";

/** An HTTP status and the OperationOutcome to send with it. */
export interface OutcomeResponse {
  status: number;
  outcome: OperationOutcome;
}

interface Mapping {
  status: number;
  /** http://hl7.org/fhir/issue-type */
  issueCode: string;
  /** Set for 5xx: the error's own message may hold internals, so a fixed text is sent instead. */
  fixedText?: string;
}

/** @see https://hl7.org/fhir/R4/http.html#Status-Codes */
const MAPPINGS: Record<ErrorCode, Mapping> = {
  invalid: { status: 400, issueCode: "invalid" },
  "bad-request": { status: 400, issueCode: "invalid" },
  unauthorized: { status: 401, issueCode: "login" },
  forbidden: { status: 403, issueCode: "forbidden" },
  "not-found": { status: 404, issueCode: "not-found" },
  "method-not-allowed": { status: 405, issueCode: "not-supported" },
  "not-acceptable": { status: 406, issueCode: "not-supported" },
  conflict: { status: 409, issueCode: "conflict" },
  gone: { status: 410, issueCode: "deleted" },
  "precondition-failed": { status: 412, issueCode: "conflict" },
  "too-large": { status: 413, issueCode: "too-long" },
  "unsupported-media-type": { status: 415, issueCode: "not-supported" },
  unprocessable: { status: 422, issueCode: "business-rule" },
  integrity: {
    status: 500,
    issueCode: "processing",
    fixedText: "The stored record failed its integrity check and was not served",
  },
  unavailable: {
    status: 503,
    issueCode: "transient",
    fixedText: "A service this server depends on is unavailable; try again later",
  },
  internal: { status: 500, issueCode: "exception", fixedText: "Internal server error" },
};

/**
 * Maps any thrown value to a status and an OperationOutcome. Client errors carry their
 * message and issues; server errors carry a fixed text and the request id only, never a
 * message, stack or cause, which may hold internals or PHI.
 */
export function toOperationOutcome(error: unknown, requestId?: string): OutcomeResponse {
  const code: ErrorCode = error instanceof FhirLedgerError && error.code in MAPPINGS ? error.code : "internal";
  const mapping = MAPPINGS[code];
  if (mapping.fixedText !== undefined) {
    const diagnostics = requestId === undefined ? mapping.fixedText : `${mapping.fixedText} (request id ${requestId})`;
    return { status: mapping.status, outcome: outcome([{ severity: "error", code: mapping.issueCode, diagnostics }]) };
  }
  const known = error as FhirLedgerError;
  const issues: OperationOutcomeIssue[] =
    known.issues.length > 0
      ? known.issues.map((issue) => ({
          severity: issue.severity ?? "error",
          code: issue.type,
          diagnostics: issue.diagnostics,
          ...(issue.expression === undefined ? {} : { expression: issue.expression }),
        }))
      : [{ severity: "error", code: mapping.issueCode, diagnostics: known.message }];
  return { status: mapping.status, outcome: outcome(issues) };
}

/** An OperationOutcome with one informational issue, e.g. for a 200 on DELETE. */
export function informationOutcome(text: string): OperationOutcome {
  return outcome([{ severity: "information", code: "informational", diagnostics: text }]);
}

/** The "all OK" outcome sent where FHIR expects an OperationOutcome but nothing went wrong. */
export function successOutcome(text = "All OK"): OperationOutcome {
  return informationOutcome(text);
}

function outcome(issue: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: "OperationOutcome", issue };
}
