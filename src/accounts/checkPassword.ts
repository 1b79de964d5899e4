import { isCommonPassword } from "./commonPasswords.ts";
import { fieldError } from "./fieldError.ts";

export const PASSWORD_MIN = 12;
/** Longer gains nothing and costs scrypt time on attacker-chosen input. */
export const PASSWORD_MAX = 256;
const MIN_DISTINCT = 5;

/**
 * Refuses a password that is too short or too long, that is the account's username or email
 * (or its local part), that repeats a few characters, or that is on the bundled list of
 * common passwords. Length rules, a breached-list check and no composition rules, as NIST SP
 * 800-63B §5.1.1.2 recommends.
 * @see https://pages.nist.gov/800-63-3/sp800-63b.html#memsecret
 */
export function checkPassword(password: string, context: { username?: string; email?: string | null } = {}): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw fieldError("password", `Password must be at least ${PASSWORD_MIN} characters.`);
  if (length > PASSWORD_MAX) throw fieldError("password", `Password must be at most ${PASSWORD_MAX} characters.`);
  const lower = password.normalize("NFKC").toLowerCase();
  const same = [context.username, context.email, context.email?.split("@")[0]]
    .filter((v): v is string => typeof v === "string" && v.length > 0)
    .some((v) => lower === v.normalize("NFKC").toLowerCase());
  if (same) throw fieldError("password", "Password must not be your username or email.");
  if (new Set(lower).size < MIN_DISTINCT)
    throw fieldError("password", "Password repeats too few characters; choose a longer phrase.");
  if (isCommonPassword(password))
    throw fieldError("password", "Password is on the list of common passwords attackers try first; choose another.");
}
