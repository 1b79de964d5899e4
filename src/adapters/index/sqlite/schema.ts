/**
 * Core tables of the SQLite index, as step 1 of INDEX_MIGRATIONS creates them (what is missing
 * of them in a file made before schema versions were numbered). Frozen: the layout changes only
 * through a new step in migrations.ts (a test checks that a new file holds exactly these tables
 * and those of search/searchSchema.ts).
 */
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
