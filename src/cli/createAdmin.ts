import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { loadConfig } from "../config/loadConfig.ts";
import { openAccounts } from "../accounts/openAccounts.ts";
import { firstLine, readPasswordFile } from "../accounts/readPasswordFile.ts";
import { EXIT_OK } from "./commands.ts";
import { parseCommandArgs } from "./parseCommandArgs.ts";

const HELP = `Usage: fhirledger create-admin --username NAME [--email ADDRESS] [--password-file FILE]

Creates an administrator account in accounts.sqlite under FHIRLEDGER_DATA_DIR. The password
is read from FILE (readable by its owner only: chmod 600), or else from standard input (typed
without echo at a terminal, twice; or piped, its first line). It must be at least 12
characters and not a common password. There is no default password.

  --username NAME        3 to 64 letters, digits, dots, dashes or underscores
  --email ADDRESS        optional
  --password-file FILE   read the password from FILE instead of standard input
`;

/** What the command reads and writes besides the data directory (tests give their own). */
export interface CreateAdminIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const MAX_STDIN_BYTES = 4096;

/** `fhirledger create-admin`: the first administrator (or another), never with a default password. */
export async function createAdmin(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  io: CreateAdminIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const values = parseCommandArgs(argv, {
    username: { type: "string" },
    email: { type: "string" },
    "password-file": { type: "string" },
    help: { type: "boolean" },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (!values.username) throw new FhirLedgerError("bad-request", "--username is required");
  const config = loadConfig(env);
  const password = values["password-file"]
    ? await readPasswordFile(values["password-file"])
    : await passwordFromStdin(io);
  const accounts = openAccounts(config.accounts.sqlitePath);
  try {
    const user = await accounts.users.createUser({
      username: values.username,
      email: values.email ?? null,
      password,
      role: "admin",
    });
    io.stdout.write(`created administrator ${user.username} (${user.id}); sign in at /login\n`);
    return EXIT_OK;
  } finally {
    accounts.close();
  }
}

async function passwordFromStdin(io: CreateAdminIo): Promise<string> {
  const { stdin } = io;
  if (stdin.isTTY && stdin.setRawMode) {
    const first = await readHidden(io, "Password: ");
    const again = await readHidden(io, "Password again: ");
    if (first !== again) throw new FhirLedgerError("bad-request", "the two passwords are not the same");
    return first;
  }
  let text = "";
  for await (const chunk of stdin) {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    if (text.length > MAX_STDIN_BYTES)
      throw new FhirLedgerError("bad-request", "standard input is longer than a password");
    if (/\r?\n/.test(text)) break;
  }
  const password = firstLine(text);
  if (password === "")
    throw new FhirLedgerError("bad-request", "no password on standard input (or use --password-file)");
  return password;
}

/** One line typed at the terminal without echo. */
function readHidden(io: CreateAdminIo, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  stdin.setRawMode!(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (error?: Error) => {
      stdin.setRawMode!(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      io.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new FhirLedgerError("bad-request", "cancelled"));
        if (ch === "\u007f" || ch === "\b") typed = [...typed].slice(0, -1).join("");
        else if (typed.length < MAX_STDIN_BYTES) typed += ch;
      }
    };
    stdin.on("data", onData);
  });
}
