import type { AccountStore } from "./AccountStore.ts";
import { readPasswordFile } from "./readPasswordFile.ts";

/**
 * Start-up: creates the configured first administrator when no administrator exists yet, with
 * the password from its file (the password policy applies: a weak one stops the start with
 * the reason). Once there is an administrator this does nothing, so the file can be deleted.
 */
export async function ensureFirstAdmin(
  users: AccountStore,
  firstAdmin: { username: string; email: string | null; passwordFile: string } | null,
): Promise<"created" | "exists" | "not-configured"> {
  if (users.countUsers("admin") > 0) return "exists";
  if (firstAdmin === null) return "not-configured";
  const password = await readPasswordFile(firstAdmin.passwordFile);
  await users.createUser({ username: firstAdmin.username, email: firstAdmin.email, password, role: "admin" });
  return "created";
}
