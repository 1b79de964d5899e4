import { type ErrorCode, FhirLedgerError } from "../errors/FhirLedgerError.ts";

/** The form field an account error is about, carried as the issue's expression so a page can show it beside that field. */
export type AccountField =
  | "username"
  | "email"
  | "password"
  | "currentPassword"
  | "role"
  | "fhirUser"
  | "code"
  | "patient"
  | "given"
  | "family"
  | "birthDate";

/** A clear, safe message about one field (never the value of a password). */
export function fieldError(field: AccountField, message: string, code: ErrorCode = "invalid"): FhirLedgerError {
  return new FhirLedgerError(code, message, {
    issues: [{ type: code === "conflict" ? "duplicate" : "invalid", diagnostics: message, expression: [field] }],
  });
}

/** The field an error names, when it is a field error. */
export function fieldOf(error: unknown): AccountField | undefined {
  if (!(error instanceof FhirLedgerError)) return undefined;
  return error.issues[0]?.expression?.[0] as AccountField | undefined;
}
