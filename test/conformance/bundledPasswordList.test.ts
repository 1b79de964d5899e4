import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isCommonPassword } from "../../src/accounts/commonPasswords.ts";

// Regression: `data/` in .gitignore kept src/accounts/data/ out of every commit, so on a fresh
// checkout creating any account with a password failed (ENOENT on the list) and the conformance
// suite could not create its users.
describe("the bundled common-password list", () => {
  it("is not ignored by git, so it ships with the source", () => {
    for (const file of ["common-passwords.txt", "common-passwords.LICENSE.txt", "README.md"]) {
      const ignored = (() => {
        try {
          execFileSync("git", ["check-ignore", "-q", `src/accounts/data/${file}`], { stdio: "ignore" });
          return true;
        } catch {
          return false;
        }
      })();
      expect(ignored, file).toBe(false);
    }
  });

  it("is read: a common password is refused, a long unusual one is not", () => {
    expect(isCommonPassword("dragon2024!")).toBe(true);
    expect(isCommonPassword("violet tractor under moonlight")).toBe(false);
  });
});
