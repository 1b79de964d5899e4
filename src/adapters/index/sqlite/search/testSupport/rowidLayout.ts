/** The search tables as they were before they were clustered on (rid, param, seq): for the migration test. */
export const ROWID_LAYOUT_DDL = `
CREATE TABLE IF NOT EXISTS sp_string (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value_norm TEXT NOT NULL, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sp_string_norm ON sp_string(type, param, value_norm);
CREATE INDEX IF NOT EXISTS sp_string_rid ON sp_string(rid, param);

CREATE TABLE IF NOT EXISTS sp_token (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  system TEXT, code TEXT, text TEXT
);
CREATE INDEX IF NOT EXISTS sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX IF NOT EXISTS sp_token_text ON sp_token(type, param, text) WHERE text IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_token_rid ON sp_token(rid, param);

CREATE TABLE IF NOT EXISTS sp_date (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  lo INTEGER NOT NULL, hi INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date(type, param, hi);
CREATE INDEX IF NOT EXISTS sp_date_rid ON sp_date(rid, param);

CREATE TABLE IF NOT EXISTS sp_number (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sp_number_value ON sp_number(type, param, value);
CREATE INDEX IF NOT EXISTS sp_number_rid ON sp_number(rid, param);

CREATE TABLE IF NOT EXISTS sp_quantity (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL, system TEXT, code TEXT, unit TEXT,
  norm_value REAL, norm_unit TEXT
);
CREATE INDEX IF NOT EXISTS sp_quantity_code ON sp_quantity(type, param, code, value);
CREATE INDEX IF NOT EXISTS sp_quantity_norm ON sp_quantity(type, param, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_quantity_value ON sp_quantity(type, param, value);
CREATE INDEX IF NOT EXISTS sp_quantity_rid ON sp_quantity(rid, param);

CREATE TABLE IF NOT EXISTS sp_reference (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  target_type TEXT, target_id TEXT, url TEXT
);
CREATE INDEX IF NOT EXISTS sp_reference_target ON sp_reference(target_id, target_type, type, param);
CREATE INDEX IF NOT EXISTS sp_reference_url ON sp_reference(type, param, url) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_reference_rid ON sp_reference(rid, param);

CREATE TABLE IF NOT EXISTS sp_uri (
  rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sp_uri_value ON sp_uri(type, param, value);
CREATE INDEX IF NOT EXISTS sp_uri_rid ON sp_uri(rid, param);
`;
