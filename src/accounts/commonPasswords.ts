import { readFileSync } from "node:fs";

let list: Set<string> | undefined;

/** The bundled list (data/README.md says where it comes from), read once on first use. */
function commonPasswords(): Set<string> {
  list ??= new Set(
    readFileSync(new URL("./data/common-passwords.txt", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => line !== ""),
  );
  return list;
}

/**
 * Whether a password is one attackers try first: on the bundled list of common passwords as
 * it is, or once the digits and symbols (anything not a letter) padding it at either end are taken off
 * ("Dragon2024!!!!" is "dragon"), since that padding is the first variation guessers try.
 */
export function isCommonPassword(password: string): boolean {
  const lower = password.normalize("NFKC").toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return true;
  const core = lower.replace(/^\P{L}+/u, "").replace(/\P{L}+$/u, "");
  return core.length >= 3 && core !== lower && list.has(core);
}
