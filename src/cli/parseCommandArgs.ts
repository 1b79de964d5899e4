import { type ParseArgsConfig, parseArgs } from "node:util";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A command's options, strictly: an unknown or malformed one is a usage error (bad-request, exit 2). */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (error) {
    throw new FhirLedgerError("bad-request", (error as Error).message);
  }
}
