import type { Migration } from "../adapters/sqlite/migrate.ts";

/**
 * The layouts of accounts.sqlite. Usernames and emails are unique by a case-folded key;
 * activation codes and session ids are stored as SHA-256 hashes only, so a copy of the file
 * lets no one sign in or redeem a code.
 */
export const ACCOUNTS_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, activation codes, sessions",
    up(db) {
      db.exec(`
        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          username TEXT NOT NULL,
          username_key TEXT NOT NULL UNIQUE,
          email TEXT,
          email_key TEXT UNIQUE,
          role TEXT NOT NULL CHECK (role IN ('admin', 'practitioner', 'patient', 'auditor')),
          fhir_user TEXT,
          password_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          disabled_at INTEGER
        ) STRICT;
        CREATE TABLE activation_codes (
          code_hash TEXT PRIMARY KEY,
          patient TEXT NOT NULL,
          issued_by TEXT NOT NULL REFERENCES users(id),
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          used_at INTEGER,
          used_by TEXT REFERENCES users(id)
        ) STRICT;
        CREATE TABLE sessions (
          id_hash TEXT PRIMARY KEY,
          user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL,
          last_seen_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sessions_by_user ON sessions(user_id);
      `);
    },
  },
];
