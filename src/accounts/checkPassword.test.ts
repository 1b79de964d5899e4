import { describe, expect, it } from "vitest";
import { checkPassword } from "./checkPassword.ts";
import { isCommonPassword } from "./commonPasswords.ts";

const messageOf = (password: string, context = {}) => {
  try {
    checkPassword(password, context);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe("password policy", () => {
  it("accepts a long passphrase that is not on the list", () => {
    expect(messageOf("violet tractor under moonlight")).toBeUndefined();
  });

  it("refuses fewer than 12 and more than 256 characters", () => {
    expect(messageOf("Xk9#vq2!Lm4")).toMatch(/at least 12 characters/);
    expect(messageOf("x".repeat(100) + "abcdefghij".repeat(16))).toMatch(/at most 256 characters/);
    expect(messageOf("abcdefghij".repeat(25) + "xyzuvw")).toBeUndefined(); // exactly 256
  });

  it("counts characters, not UTF-16 units", () => {
    expect(messageOf("日本語のパスワードです")).toMatch(/at least 12/); // 11 characters
    expect(messageOf("日本語のパスワードですね")).toBeUndefined();
  });

  it("refuses the username, the email or the email's local part", () => {
    expect(messageOf("Alice.Liddell.1865", { username: "alice.liddell.1865" })).toMatch(/username or email/);
    expect(messageOf("alice.liddell@example.org", { email: "alice.liddell@example.org" })).toMatch(/username or email/);
    expect(messageOf("alice.liddell99", { email: "alice.liddell99@example.org" })).toMatch(/username or email/);
  });

  it("refuses a few characters repeated", () => {
    expect(messageOf("aaaaaaaaaaaaaaaa")).toMatch(/repeats too few/);
    expect(messageOf("abababababababab")).toMatch(/repeats too few/);
  });

  it("refuses passwords on the bundled list, in any case, and the list's words padded with digits and symbols", () => {
    expect(messageOf("qwerty123456")).toMatch(/common passwords/);
    expect(messageOf("QWERTY123456")).toMatch(/common passwords/);
    expect(messageOf("Password1234!")).toMatch(/common passwords/);
    expect(messageOf("2024!!Dragon2024")).toMatch(/common passwords/);
  });

  it("the bundled list holds at least the 10,000 most common passwords", () => {
    for (const p of ["123456", "password", "iloveyou", "trustno1", "sunshine"]) expect(isCommonPassword(p)).toBe(true);
    expect(isCommonPassword("violet tractor under moonlight")).toBe(false);
  });
});
