import type { DatabaseSync } from "node:sqlite";
import { migrate } from "../adapters/sqlite/migrate.ts";
import { openSqliteFile } from "../adapters/sqlite/openSqliteFile.ts";
import { AccountStore } from "./AccountStore.ts";
import { ACCOUNTS_MIGRATIONS } from "./accountsMigrations.ts";
import type { ScryptParams } from "./passwordHash.ts";
import { type SessionLimits, SessionStore } from "./SessionStore.ts";

export interface Accounts {
  users: AccountStore;
  sessions: SessionStore;
  close(): void;
}

/**
 * Opens `<dataDir>/accounts.sqlite` (0600, created when absent, brought to the latest layout):
 * the accounts and the sessions over one connection. ":memory:" for tests.
 */
export function openAccounts(
  path: string,
  options: { scrypt?: ScryptParams; sessions?: SessionLimits; now?: () => number } = {},
): Accounts {
  const db: DatabaseSync = openSqliteFile(path);
  try {
    db.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    migrate(db, ACCOUNTS_MIGRATIONS, "accounts.sqlite");
  } catch (error) {
    db.close();
    throw error;
  }
  const now = options.now ?? Date.now;
  return {
    users: new AccountStore(db, { ...(options.scrypt ? { scrypt: options.scrypt } : {}), now }),
    sessions: new SessionStore(db, { ...(options.sessions ? { limits: options.sessions } : {}), now }),
    close: () => db.close(),
  };
}
