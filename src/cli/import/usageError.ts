import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/** A usage error: the dispatcher prints it with usage hints and exits 2. */
export const usageError = (message: string) => new FhirLedgerError("bad-request", message);
