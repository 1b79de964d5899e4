import type { DatabaseSync } from "node:sqlite";
import { migrate } from "../../adapters/sqlite/migrate.ts";
import type { Migration } from "../../adapters/sqlite/migrate.ts";
import { openSqliteFile } from "../../adapters/sqlite/openSqliteFile.ts";

/**
 * The layouts of oauth.sqlite in order. Codes, refresh tokens and launch ids are stored as
 * SHA-256 hashes only, so a copy of the file grants nothing; client secrets likewise.
 */
export const OAUTH_DATABASE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "clients, codes, grants, tokens, launches",
    up: (db) =>
      db.exec(`
        CREATE TABLE clients (
          client_id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          auth_method TEXT NOT NULL CHECK (auth_method IN ('none', 'client_secret_basic', 'private_key_jwt')),
          secret_hash TEXT,
          jwks TEXT,
          jwks_uri TEXT,
          redirect_uris TEXT NOT NULL,
          scopes TEXT NOT NULL,
          grant_types TEXT NOT NULL,
          created_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE codes (
          code_hash TEXT PRIMARY KEY,
          body TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          grant_id TEXT,
          used INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE TABLE grants (
          grant_id TEXT PRIMARY KEY,
          client_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          scope TEXT NOT NULL,
          context TEXT NOT NULL,
          issued_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          revoked_at INTEGER
        ) STRICT;
        CREATE INDEX grants_by_user ON grants (user_id, revoked_at);
        CREATE TABLE refresh_tokens (
          token_hash TEXT PRIMARY KEY,
          grant_id TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          used_at INTEGER
        ) STRICT;
        CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
        CREATE TABLE access_tokens (
          jti TEXT PRIMARY KEY,
          grant_id TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
        CREATE TABLE revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT;
        CREATE TABLE assertion_jtis (
          client_id TEXT NOT NULL,
          jti TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          PRIMARY KEY (client_id, jti)
        ) STRICT;
        CREATE TABLE launches (launch_hash TEXT PRIMARY KEY, body TEXT NOT NULL, expires_at INTEGER NOT NULL) STRICT;
        CREATE TABLE pending (
          request_hash TEXT PRIMARY KEY,
          user_id TEXT NOT NULL,
          body TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        ) STRICT;
      `),
  },
];

/** Opens `<dataDir>/oauth.sqlite` (0600, WAL) at the newest layout; ":memory:" for tests. */
export function openOAuthDatabase(path: string): DatabaseSync {
  const db = openSqliteFile(path);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    // WAL with synchronous NORMAL, as the index: a commit survives the process (SIGKILL), and
    // a token costs no fsync (FULL fsynced the WAL at each of the two commits of a token).
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    migrate(db, OAUTH_DATABASE_MIGRATIONS, `OAuth database ${path}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
