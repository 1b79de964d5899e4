/**
 * The search tables as files made before schema versions were numbered hold them (step 6 of
 * INDEX_MIGRATIONS creates what is missing). Frozen: the search tables' layout changes only
 * through a new step in ../migrations.ts, whatever search/searchSchema.ts says later (a test
 * checks that a new file's layout is the one searchSchema.ts describes).
 */
/**
 * sp_token_quantity's triggers as these layouts hold them (step 8, which replaces the table,
 * drops and makes them again from this text).
 */
export const UNNUMBERED_PAIR_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS sp_token_quantity_live BEFORE INSERT ON sp_token_quantity
WHEN NOT EXISTS (SELECT 1 FROM resources WHERE rid = NEW.rid AND type = NEW.type AND deleted = 0)
BEGIN SELECT RAISE(ABORT, 'sp_token_quantity: resource is not live'); END;
CREATE TRIGGER IF NOT EXISTS sp_token_quantity_fixed BEFORE UPDATE OF rid, type ON sp_token_quantity
BEGIN SELECT RAISE(ABORT, 'sp_token_quantity: rows do not move'); END;
CREATE TRIGGER IF NOT EXISTS resources_gone_pairs AFTER UPDATE OF rid, type, deleted ON resources
WHEN NEW.deleted <> 0 OR NEW.type IS NOT OLD.type OR NEW.rid <> OLD.rid
BEGIN DELETE FROM sp_token_quantity WHERE rid = OLD.rid; END;
CREATE TRIGGER IF NOT EXISTS resources_removed_pairs AFTER DELETE ON resources
BEGIN DELETE FROM sp_token_quantity WHERE rid = OLD.rid; END;
`;

export const UNNUMBERED_SEARCH_TABLES = `
CREATE TABLE IF NOT EXISTS sp_string (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value_norm TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_token (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  system TEXT, code TEXT, text TEXT,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_date (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  lo INTEGER NOT NULL, hi INTEGER NOT NULL,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_number (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_quantity (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_reference (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  target_type TEXT, target_id TEXT, url TEXT,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_uri (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  value TEXT NOT NULL,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sp_token_quantity (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  token_system TEXT, token_code TEXT NOT NULL, value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT,
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sp_string_norm ON sp_string(type, param, value_norm);
CREATE INDEX IF NOT EXISTS sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX IF NOT EXISTS sp_token_text ON sp_token(type, param, text) WHERE text IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date(type, param, hi);
CREATE INDEX IF NOT EXISTS sp_number_value ON sp_number(type, param, value);
CREATE INDEX IF NOT EXISTS sp_quantity_code ON sp_quantity(type, param, code, value);
CREATE INDEX IF NOT EXISTS sp_quantity_norm ON sp_quantity(type, param, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_quantity_value ON sp_quantity(type, param, value);
CREATE INDEX IF NOT EXISTS sp_reference_target ON sp_reference(target_id, target_type, type, param);
CREATE INDEX IF NOT EXISTS sp_reference_url ON sp_reference(type, param, url) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS sp_uri_value ON sp_uri(type, param, value);
CREATE INDEX IF NOT EXISTS sp_token_quantity_value ON sp_token_quantity(type, param, token_code, token_system, value);
CREATE INDEX IF NOT EXISTS sp_token_quantity_norm ON sp_token_quantity(type, param, token_code, token_system, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;
${UNNUMBERED_PAIR_TRIGGERS}`;
