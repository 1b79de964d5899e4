import { statSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import type { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { fieldOf } from "./fieldError.ts";
import { openAccounts } from "./openAccounts.ts";
import { FAST_SCRYPT } from "./testSupport/fastScrypt.ts";

const PASSWORD = "violet tractor under moonlight";

function open(now = () => Date.now()) {
  return openAccounts(":memory:", { scrypt: FAST_SCRYPT, now });
}

async function rejection(promise: Promise<unknown>): Promise<FhirLedgerError> {
  try {
    await promise;
  } catch (error) {
    return error as FhirLedgerError;
  }
  throw new Error("expected a rejection");
}

const patient = (username: string, email: string, fhirUser = "Patient/p1") => ({
  username,
  email,
  password: PASSWORD,
  role: "patient" as const,
  fhirUser,
});

describe("AccountStore", () => {
  it("creates accounts in accounts.sqlite, a private (0600) file at the latest layout, without the password", async () => {
    const dir = mkdtempSync(join(tmpdir(), "accounts-"));
    const path = join(dir, "accounts.sqlite");
    const accounts = openAccounts(path, { scrypt: FAST_SCRYPT });
    const user = await accounts.users.createUser(patient("alice", "Alice@Example.org"));
    accounts.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: 1 });
    const row = db.prepare("SELECT * FROM users").get() as Record<string, unknown>;
    db.close();
    expect(row).toMatchObject({ id: user.id, username: "alice", email: "alice@example.org", role: "patient" });
    expect(String(row.password_hash)).toMatch(/^scrypt\$/);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    expect(user).not.toHaveProperty("password_hash");
  });

  it("refuses duplicate usernames and emails whatever their case, naming the field", async () => {
    const { users } = open();
    await users.createUser(patient("Alice", "alice@example.org"));
    const sameName = await rejection(users.createUser(patient("ALICE", "other@example.org", "Patient/p2")));
    expect(sameName.code).toBe("conflict");
    expect(fieldOf(sameName)).toBe("username");
    expect(sameName.message).toMatch(/username is taken/i);
    const sameEmail = await rejection(users.createUser(patient("bob", "ALICE@example.ORG", "Patient/p2")));
    expect(fieldOf(sameEmail)).toBe("email");
    expect(sameEmail.message).toMatch(/email exists already/i);
  });

  it("refuses malformed emails and bad usernames with a message naming the field", async () => {
    const { users } = open();
    for (const email of [
      "alice",
      "alice@",
      "@example.org",
      "alice@example",
      "a b@example.org",
      "<a>@example.org",
      "a..b@example.org",
    ]) {
      const error = await rejection(users.createUser(patient("alice", email)));
      expect(fieldOf(error), email).toBe("email");
      expect(error.message).toMatch(/^Email/);
    }
    const longEmail = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.org`; // 259 characters
    const tooLong = await rejection(users.createUser(patient("alice", longEmail)));
    expect(tooLong.message).toBe("Email must be at most 254 characters.");
    expect(fieldOf(await rejection(users.createUser(patient("alice", `${"a".repeat(65)}@example.org`))))).toBe("email");
    for (const username of ["", "ab", "<script>", "a b c", "-alice", "x".repeat(65)]) {
      const error = await rejection(users.createUser(patient(username, "alice@example.org")));
      expect(fieldOf(error), username).toBe("username");
      expect(error.message).toMatch(/^Username/);
    }
  });

  it("links patients to a Patient and practitioners to a Practitioner; admins and auditors to nothing", async () => {
    const { users } = open();
    expect(
      fieldOf(await rejection(users.createUser({ ...patient("pat1", "p@example.org"), fhirUser: "Practitioner/1" }))),
    ).toBe("fhirUser");
    const pr = { username: "drwho", password: PASSWORD, role: "practitioner" as const };
    expect(fieldOf(await rejection(users.createUser(pr)))).toBe("fhirUser");
    expect((await users.createUser({ ...pr, fhirUser: "Practitioner/9" })).fhirUser).toBe("Practitioner/9");
    const admin = { username: "root1", password: PASSWORD, role: "admin" as const };
    expect(fieldOf(await rejection(users.createUser({ ...admin, fhirUser: "Patient/1" })))).toBe("fhirUser");
    expect((await users.createUser(admin)).email).toBeNull();
    expect(fieldOf(await rejection(users.createUser({ ...admin, username: "x1", role: "root" as never })))).toBe(
      "role",
    );
  });

  it("links one patient account to a Patient at most", async () => {
    const { users } = open();
    await users.createUser(patient("alice", "alice@example.org", "Patient/p1"));
    const second = await rejection(users.createUser(patient("alice2", "alice2@example.org", "Patient/p1")));
    expect(second.code).toBe("conflict");
    expect(fieldOf(second)).toBe("fhirUser");
    expect(second.message).toBe("This patient already has an account.");
    expect(() =>
      users.checkNewUser({ username: "bob", email: "bob@example.org", password: PASSWORD, role: "patient" }),
    ).not.toThrow();
  });

  it("applies the password policy", async () => {
    const { users } = open();
    const weak = await rejection(
      users.createUser({ ...patient("alice", "alice@example.org"), password: "password1234" }),
    );
    expect(fieldOf(weak)).toBe("password");
  });

  it("signs in by username or email, and answers the same for an unknown user, a wrong password and a disabled account", async () => {
    const { users } = open();
    const alice = await users.createUser(patient("Alice", "alice@example.org"));
    expect((await users.authenticate("alice", PASSWORD))?.id).toBe(alice.id);
    expect((await users.authenticate("ALICE@example.org", PASSWORD))?.id).toBe(alice.id);
    expect(await users.authenticate("alice", `${PASSWORD}!`)).toBeUndefined();
    expect(await users.authenticate("nobody", PASSWORD)).toBeUndefined();
    users.setDisabled(alice.id, true);
    expect(await users.authenticate("alice", PASSWORD)).toBeUndefined();
    users.setDisabled(alice.id, false);
    expect((await users.authenticate("alice", PASSWORD))?.id).toBe(alice.id);
  });

  it("hashes a password for an unknown user too, so the time tells nothing", async () => {
    const { users } = open();
    await users.createUser(patient("alice", "alice@example.org"));
    await users.authenticate("nobody", PASSWORD); // makes the dummy hash once
    const time = async (login: string) => {
      const start = performance.now();
      for (let i = 0; i < 10; i++) await users.authenticate(login, "wrong password!!");
      return performance.now() - start;
    };
    const known = await time("alice");
    const unknown = await time("nobody");
    // Both do one scrypt each; without the dummy hash the unknown user would take ~0 ms.
    expect(unknown).toBeGreaterThan(known * 0.3);
  });

  it("activation codes: single use, expiring, bound to their Patient, issued by practitioners and admins only", async () => {
    let now = 1_000_000;
    const { users } = open(() => now);
    const doctor = await users.createUser({
      username: "drwho",
      password: PASSWORD,
      role: "practitioner",
      fhirUser: "Practitioner/9",
    });
    const issued = users.issueActivationCode({ patient: "Patient/abc", issuedBy: doctor.id });
    expect(issued.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const typed = issued.code.toLowerCase().replace(/-/g, " ");
    const bob = await users.redeemActivationCode(typed, {
      username: "bob",
      email: "bob@example.org",
      password: PASSWORD,
    });
    expect(bob).toMatchObject({ role: "patient", fhirUser: "Patient/abc" });
    const again = await rejection(
      users.redeemActivationCode(issued.code, { username: "bob2", email: "b2@example.org", password: PASSWORD }),
    );
    expect(fieldOf(again)).toBe("code");

    const second = users.issueActivationCode({ patient: "Patient/def", issuedBy: doctor.id, ttlMs: 1000 });
    now += 1000;
    const expired = await rejection(
      users.redeemActivationCode(second.code, { username: "carol", email: "c@example.org", password: PASSWORD }),
    );
    expect(expired.message).toMatch(/not valid/);
    const unknown = await rejection(
      users.redeemActivationCode("AAAA-BBBB-CCCC", { username: "carol", email: "c@example.org", password: PASSWORD }),
    );
    expect(unknown.message).toBe(expired.message);

    const forBob = users.issueActivationCode({ patient: "Patient/abc", issuedBy: doctor.id });
    const linked = await rejection(
      users.redeemActivationCode(forBob.code, { username: "dave", email: "d@example.org", password: PASSWORD }),
    );
    expect(linked.message).toMatch(/already has an account/);

    expect(() => users.issueActivationCode({ patient: "Patient/x", issuedBy: bob.id })).toThrow(
      /only practitioners and administrators/,
    );
    expect(() => users.issueActivationCode({ patient: "Observation/x", issuedBy: doctor.id })).toThrow(/Patient\/123/);
  });

  it("a refused redemption (weak password) leaves the code usable", async () => {
    const { users } = open();
    const admin = await users.createUser({ username: "root1", password: PASSWORD, role: "admin" });
    const { code } = users.issueActivationCode({ patient: "Patient/abc", issuedBy: admin.id });
    await rejection(users.redeemActivationCode(code, { username: "bob", email: "bob@example.org", password: "short" }));
    expect(
      (await users.redeemActivationCode(code, { username: "bob", email: "bob@example.org", password: PASSWORD }))
        .fhirUser,
    ).toBe("Patient/abc");
  });

  it("lists a bounded page of users", async () => {
    const { users } = open();
    for (const name of ["carol", "alice", "bob"])
      await users.createUser({ username: name, password: PASSWORD, role: "auditor" });
    expect(users.listUsers().map((u) => u.username)).toEqual(["alice", "bob", "carol"]);
    expect(users.listUsers({ limit: 1, offset: 1 }).map((u) => u.username)).toEqual(["bob"]);
    expect(users.listUsers({ limit: 1_000_000 }).length).toBe(3);
    expect(users.countUsers("auditor")).toBe(3);
  });
});
