/**
 * The one error type of the project. `code` is stable (clients and tests match on it),
 * `details` is safe to show (no PHI, no secrets), `cause` stays server-side.
 */
export type ErrorCode =
  | "invalid" // 400 structurally or semantically wrong input
  | "bad-request" // 400 malformed request (JSON, params)
  | "unauthorized" // 401 no/invalid credentials
  | "forbidden" // 403 authenticated but not allowed
  | "not-found" // 404
  | "gone" // 410 deleted
  | "not-acceptable" // 406
  | "method-not-allowed" // 405
  | "conflict" // 409
  | "precondition-failed" // 412
  | "unsupported-media-type" // 415
  | "unprocessable" // 422
  | "too-large" // 413
  | "integrity" // 500 stored data failed its integrity check
  | "unavailable" // 503 dependency down
  | "internal"; // 500

export interface ErrorIssue {
  /** FHIR issue-type code (http://hl7.org/fhir/issue-type) */
  type: string;
  severity?: "fatal" | "error" | "warning" | "information";
  diagnostics: string;
  /** FHIRPath expressions naming the offending elements */
  expression?: string[];
}

export class FhirLedgerError extends Error {
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[];

  constructor(code: ErrorCode, message: string, options: { issues?: ErrorIssue[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FhirLedgerError";
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

/** Shorthand constructors keep call sites to one line. */
export const errors = {
  invalid: (message: string, issues?: ErrorIssue[]) =>
    new FhirLedgerError("invalid", message, issues ? { issues } : {}),
  badRequest: (message: string) => new FhirLedgerError("bad-request", message),
  notFound: (message: string) => new FhirLedgerError("not-found", message),
  gone: (message: string) => new FhirLedgerError("gone", message),
  unauthorized: (message: string) => new FhirLedgerError("unauthorized", message),
  forbidden: (message: string) => new FhirLedgerError("forbidden", message),
  conflict: (message: string) => new FhirLedgerError("conflict", message),
  preconditionFailed: (message: string) => new FhirLedgerError("precondition-failed", message),
  integrity: (message: string, cause?: unknown) => new FhirLedgerError("integrity", message, { cause }),
};
