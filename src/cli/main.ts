#!/usr/bin/env node
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, commands } from "./commands.ts";

/** Lists the commands; printed for `--help` (stdout) and for usage errors (stderr). */
export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: fhirledger <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "fhirledger <command> --help" for the options of a command.',
    "",
  ].join("\n");
}

/** Dispatches `fhirledger <command> [args]` and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined) return main([rest[0], "--help"]);
    process.stdout.write(helpText());
    return EXIT_OK;
  }
  if (name === undefined) {
    process.stderr.write(helpText());
    return EXIT_USAGE;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`fhirledger: unknown command "${name.slice(0, 40)}"\n\n${helpText()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof FhirLedgerError && error.code === "bad-request") {
      process.stderr.write(
        `fhirledger ${command.name}: ${error.message}\nRun "fhirledger ${command.name} --help" for its options.\n`,
      );
      return EXIT_USAGE;
    }
    // Messages only: a stack trace is noise to an operator and may print paths or values.
    process.stderr.write(`fhirledger ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
