import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openAccounts } from "../accounts/openAccounts.ts";
import type { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { createAdmin } from "./createAdmin.ts";

const PASSWORD = "violet tractor under moonlight";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "create-admin-"));
  const out: string[] = [];
  const io = (stdin: string) => ({
    stdin: Readable.from([stdin]),
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => out.push(t) },
  });
  const env = { FHIRLEDGER_DATA_DIR: dir };
  const admins = () => {
    const accounts = openAccounts(join(dir, "accounts.sqlite"));
    try {
      return accounts.users.listUsers().filter((u) => u.role === "admin");
    } finally {
      accounts.close();
    }
  };
  const file = (content: string, mode = 0o600) => {
    const path = join(dir, `pw-${Math.random()}`);
    writeFileSync(path, content, { mode });
    return path;
  };
  return { dir, out, io, env, admins, file };
}

async function failure(promise: Promise<unknown>): Promise<FhirLedgerError> {
  try {
    await promise;
  } catch (error) {
    return error as FhirLedgerError;
  }
  throw new Error("expected a failure");
}

describe("fhirledger create-admin", () => {
  it("creates an administrator with the password from a 0600 file, and can sign in with it", async () => {
    const { io, env, admins, file, out, dir } = setup();
    const code = await createAdmin(
      ["--username", "root1", "--email", "root@example.org", "--password-file", file(`${PASSWORD}\n`)],
      env,
      io(""),
    );
    expect(code).toBe(0);
    expect(admins().map((u) => [u.username, u.email])).toEqual([["root1", "root@example.org"]]);
    expect(out.join("")).toMatch(/^created administrator root1/);
    expect(out.join("")).not.toContain(PASSWORD);
    const accounts = openAccounts(join(dir, "accounts.sqlite"));
    expect((await accounts.users.authenticate("root1", PASSWORD))?.role).toBe("admin");
    accounts.close();
  });

  it("reads the password's first line from piped standard input", async () => {
    const { io, env, admins } = setup();
    expect(await createAdmin(["--username", "root1"], env, io(`${PASSWORD}\nignored\n`))).toBe(0);
    expect(admins().length).toBe(1);
  });

  it("refuses a weak password, a password file others can read, no password and no username; creates nothing", async () => {
    const { io, env, admins, file } = setup();
    const weak = await failure(
      createAdmin(["--username", "root1", "--password-file", file("password1234\n")], env, io("")),
    );
    expect(weak.message).toMatch(/common passwords/);
    expect(weak.message).not.toContain("password1234");
    const short = await failure(createAdmin(["--username", "root1"], env, io("short\n")));
    expect(short.message).toMatch(/at least 12 characters/);
    const loose = await failure(
      createAdmin(["--username", "root1", "--password-file", file(PASSWORD, 0o644)], env, io("")),
    );
    expect(loose.message).toMatch(/accessible to group or others; chmod 600/);
    const empty = await failure(createAdmin(["--username", "root1"], env, io("")));
    expect(empty.message).toMatch(/no password on standard input/);
    const huge = await failure(
      createAdmin(["--username", "root1", "--password-file", file("x".repeat(5000))], env, io("")),
    );
    expect(huge.message).toMatch(/larger than a password/);
    const endless = await failure(createAdmin(["--username", "root1"], env, io("y".repeat(5000))));
    expect(endless.message).toMatch(/longer than a password/);
    const noName = await failure(createAdmin([], env, io(PASSWORD)));
    expect(noName.code).toBe("bad-request");
    expect(admins()).toEqual([]);
  });

  it("refuses a username that is taken", async () => {
    const { io, env } = setup();
    await createAdmin(["--username", "root1"], env, io(`${PASSWORD}\n`));
    const again = await failure(createAdmin(["--username", "ROOT1"], env, io(`${PASSWORD}\n`)));
    expect(again.message).toMatch(/username is taken/);
  });
});
