/**
 * The commands of `fhirledger <command>`: one entry each. `run` gets the arguments after the
 * command name and resolves to the exit code. Implementations are imported on first use so
 * that `verify` never loads the server's storage stack and `--help` loads nothing.
 *
 * Exit codes: 0 success, 1 the command ran and the answer is no (or it failed),
 * 2 usage error (throw FhirLedgerError "bad-request" and the dispatcher prints usage hints).
 */
export type Command = {
  name: string;
  /** One line for `fhirledger --help`. */
  summary: string;
  run(argv: string[]): Promise<number>;
};

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const commands: readonly Command[] = [
  {
    name: "verify",
    summary: "check a resource and its $verify proof against the chain, without the server",
    run: async (argv) => (await import("./verify.ts")).verify(argv),
  },
  {
    name: "import",
    summary: "load transaction/batch bundles or NDJSON (files, folders, .gz) into a server, resumable",
    run: async (argv) => (await import("./import.ts")).importCommand(argv),
  },
  {
    name: "rebuild",
    summary: "build a fresh index from chain events + IPFS + keys (server stopped)",
    run: async (argv) => (await import("./rebuild.ts")).rebuild(argv),
  },
  {
    name: "rotate-kek",
    summary: "re-wrap every data key under a new key-encryption key (server stopped)",
    run: async (argv) => (await import("./rotateKek.ts")).rotateKek(argv),
  },
  {
    name: "create-admin",
    summary: "create an administrator account (password from stdin or --password-file; no default)",
    run: async (argv) => (await import("./createAdmin.ts")).createAdmin(argv),
  },
  {
    name: "rotate-data-keys",
    summary: "start new data keys for later writes; old keys stay to read older versions (server stopped)",
    run: async (argv) => (await import("./rotateDataKeys.ts")).rotateDataKeys(argv),
  },
  {
    name: "rotate-signing-key",
    summary: "start new token-signing keys; the old ones stay in the JWKS until their tokens expire (server stopped)",
    run: async (argv) => (await import("./oauthCommands.ts")).rotateSigningKey(argv),
  },
  {
    name: "register-client",
    summary: "register an OAuth client (public, client_secret_basic or private_key_jwt) for SMART apps",
    run: async (argv) => (await import("./oauthCommands.ts")).registerClient(argv),
  },
];
