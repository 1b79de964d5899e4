import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureFirstAdmin } from "./ensureFirstAdmin.ts";
import { openAccounts } from "./openAccounts.ts";
import { FAST_SCRYPT } from "./testSupport/fastScrypt.ts";

const PASSWORD = "violet tractor under moonlight";

function passwordFile(content: string, mode = 0o600): string {
  const path = join(mkdtempSync(join(tmpdir(), "first-admin-")), "admin.password");
  writeFileSync(path, content, { mode });
  return path;
}

describe("ensureFirstAdmin", () => {
  it("creates the configured administrator once; later starts leave it (the file may then go)", async () => {
    const { users } = openAccounts(":memory:", { scrypt: FAST_SCRYPT });
    const file = passwordFile(`${PASSWORD}\n`);
    const config = { username: "root1", email: "root@example.org", passwordFile: file };
    expect(await ensureFirstAdmin(users, config)).toBe("created");
    expect((await users.authenticate("root1", PASSWORD))?.role).toBe("admin");
    rmSync(file);
    expect(await ensureFirstAdmin(users, config)).toBe("exists");
    expect(users.countUsers("admin")).toBe(1);
  });

  it("without configuration creates nothing (and there is no default password)", async () => {
    const { users } = openAccounts(":memory:", { scrypt: FAST_SCRYPT });
    expect(await ensureFirstAdmin(users, null)).toBe("not-configured");
    expect(users.countUsers()).toBe(0);
  });

  it("stops the start with the reason when the password is weak or its file is readable by others", async () => {
    const { users } = openAccounts(":memory:", { scrypt: FAST_SCRYPT });
    await expect(
      ensureFirstAdmin(users, { username: "root1", email: null, passwordFile: passwordFile("changeme\n") }),
    ).rejects.toThrow(/at least 12 characters/);
    await expect(
      ensureFirstAdmin(users, { username: "root1", email: null, passwordFile: passwordFile(PASSWORD, 0o640) }),
    ).rejects.toThrow(/chmod 600/);
    expect(users.countUsers()).toBe(0);
  });
});
