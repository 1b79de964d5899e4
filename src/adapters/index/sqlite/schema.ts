import type { DatabaseSync } from "node:sqlite";
import { immediateTransaction } from "../../sqlite/immediateTransaction.ts";

/** Core tables of the SQLite index. Search tables come from the search indexer. */
export const coreSchemaSql = `
CREATE TABLE IF NOT EXISTS resources (
  rid INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  last_updated TEXT NOT NULL,
  compartment TEXT,
  UNIQUE(type, id)
);
CREATE INDEX IF NOT EXISTS resources_type_updated ON resources(type, last_updated);
-- a type's live resources in rid order: the first page of an unfiltered search without a sort
CREATE INDEX IF NOT EXISTS resources_type_live ON resources(type, deleted);
CREATE INDEX IF NOT EXISTS resources_compartment ON resources(compartment);

CREATE TABLE IF NOT EXISTS versions (
  rid INTEGER NOT NULL,
  version INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  cid TEXT,
  content_hash TEXT NOT NULL,
  key_id TEXT,
  compartment TEXT,
  leaf_seq INTEGER NOT NULL UNIQUE,
  -- 1 on a version that created its resource through update (PUT with a client id); else NULL
  created_by_update INTEGER,
  PRIMARY KEY (rid, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS versions_updated ON versions(last_updated);

CREATE TABLE IF NOT EXISTS leaves (
  seq INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL,
  queued_at TEXT NOT NULL,
  batch_id INTEGER,
  leaf_index INTEGER
);
-- Inclusion paths (~0.5 KB per leaf) apart from the leaves, which every read joins: kept inline
-- they made the tables a read touches larger than the page cache.
CREATE TABLE IF NOT EXISTS leaf_paths (
  seq INTEGER PRIMARY KEY,
  path BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS leaves_pending ON leaves(batch_id, seq);

CREATE TABLE IF NOT EXISTS batches (
  batch_id INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  prev_root BLOB NOT NULL,
  size INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  manifest_cid TEXT NOT NULL,
  manifest_digest BLOB NOT NULL,
  state TEXT NOT NULL,
  chain_id TEXT,
  contract TEXT,
  tx_hash TEXT,
  block_number INTEGER,
  anchored_at TEXT
);

-- Idempotency of transactions (Bundle.identifier with the system IDEMPOTENCY_SYSTEM): a row
-- is inserted in the same SQLite transaction as the transaction's writes, so "committed" and
-- "seen" are one fact. response: the transaction-response without resources (deflated JSON),
-- kept right after the commit; NULL if the server stopped in between. Not rebuilt by rebuild.
CREATE TABLE IF NOT EXISTS transaction_receipts (
  key TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  committed_at TEXT NOT NULL,
  response BLOB
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * Brings core tables of an earlier layout up to date: inclusion paths used to be a column of
 * `leaves`; they move to `leaf_paths` (one transaction). `versions` gains `created_by_update`
 * (adding a column with no default rewrites no row; older versions keep NULL, and history
 * shows them as it always did). Nothing to do on a current database.
 */
export function migrateCoreTables(db: DatabaseSync): void {
  const versionColumns = db.prepare("SELECT name FROM pragma_table_info('versions')").all() as { name: string }[];
  if (!versionColumns.some((c) => c.name === "created_by_update"))
    db.exec("ALTER TABLE versions ADD COLUMN created_by_update INTEGER");
  const columns = db.prepare("SELECT name FROM pragma_table_info('leaves')").all() as { name: string }[];
  if (!columns.some((c) => c.name === "path")) return;
  immediateTransaction(db, () => {
    db.exec("INSERT OR REPLACE INTO leaf_paths (seq, path) SELECT seq, path FROM leaves WHERE path IS NOT NULL");
    db.exec("ALTER TABLE leaves DROP COLUMN path");
  });
}
