import type { DatabaseSync } from "node:sqlite";
import { paramsFor, searchableTypes } from "../../../../fhir/search/searchParameters.ts";
import { isTokenQuantityComposite } from "../../../../fhir/search/tokenQuantityComposites.ts";

/*
 * Steps 2-5 of INDEX_MIGRATIONS: the layout changes made before schema versions were numbered.
 * A file of user_version 0 (every file made before numbering) may hold any mixture of them, so
 * each step looks at the file once, before changing it; later steps look at nothing, since the
 * file's number says its layout. The DDL here is frozen: it is the layout of that time.
 */

/** Columns of the search tables of the layout before token×quantity composites got their own table. */
const COMPONENT_LAYOUT_COLUMNS = {
  sp_string: "value_norm TEXT NOT NULL, value TEXT NOT NULL",
  sp_token: "system TEXT, code TEXT, text TEXT",
  sp_date: "lo INTEGER NOT NULL, hi INTEGER NOT NULL",
  sp_number: "value REAL NOT NULL",
  sp_quantity: "value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT",
  sp_reference: "target_type TEXT, target_id TEXT, url TEXT",
  sp_uri: "value TEXT NOT NULL",
} as const;

const COMPONENT_LAYOUT_INDEXES: Record<keyof typeof COMPONENT_LAYOUT_COLUMNS, string> = {
  sp_string: "CREATE INDEX sp_string_norm ON sp_string(type, param, value_norm);",
  sp_token: `CREATE INDEX sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX sp_token_text ON sp_token(type, param, text) WHERE text IS NOT NULL;`,
  sp_date: `CREATE INDEX sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX sp_date_hi ON sp_date(type, param, hi);`,
  sp_number: "CREATE INDEX sp_number_value ON sp_number(type, param, value);",
  sp_quantity: `CREATE INDEX sp_quantity_code ON sp_quantity(type, param, code, value);
CREATE INDEX sp_quantity_norm ON sp_quantity(type, param, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;
CREATE INDEX sp_quantity_value ON sp_quantity(type, param, value);`,
  sp_reference: `CREATE INDEX sp_reference_target ON sp_reference(target_id, target_type, type, param);
CREATE INDEX sp_reference_url ON sp_reference(type, param, url) WHERE url IS NOT NULL;`,
  sp_uri: "CREATE INDEX sp_uri_value ON sp_uri(type, param, value);",
};

const TOKEN_QUANTITY_COLUMNS =
  "token_system TEXT, token_code TEXT NOT NULL, value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT";

const TOKEN_QUANTITY_INDEXES = `
CREATE INDEX sp_token_quantity_value ON sp_token_quantity(type, param, token_code, token_system, value);
CREATE INDEX sp_token_quantity_norm ON sp_token_quantity(type, param, token_code, token_system, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;`;

function clusteredTableDdl(table: string, columns: string): string {
  return `CREATE TABLE ${table} (
  rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0,
  ${columns},
  PRIMARY KEY (rid, param, seq)
) WITHOUT ROWID;`;
}

const columnsOf = (db: DatabaseSync, table: string) =>
  (db.prepare("SELECT name FROM pragma_table_info(?)").all(table) as { name: string }[]).map((c) => c.name);

const tableSql = (db: DatabaseSync, name: string) =>
  (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as
      | { sql: string }
      | undefined
  )?.sql;

/**
 * Step 2: inclusion paths used to be a column of `leaves`; they move to `leaf_paths`, apart
 * from the leaves every read joins.
 */
export function moveLeafPaths(db: DatabaseSync): void {
  if (!columnsOf(db, "leaves").includes("path")) return;
  db.exec("INSERT OR REPLACE INTO leaf_paths (seq, path) SELECT seq, path FROM leaves WHERE path IS NOT NULL");
  db.exec("ALTER TABLE leaves DROP COLUMN path");
}

/**
 * Step 3: `versions` records creates by update. Adding a column with no default rewrites no
 * row; older versions keep NULL, and history shows them as it always did.
 */
export function addCreatedByUpdate(db: DatabaseSync): void {
  if (!columnsOf(db, "versions").includes("created_by_update"))
    db.exec("ALTER TABLE versions ADD COLUMN created_by_update INTEGER");
}

/**
 * Step 4: rowid search tables with a (rid, param) index become tables clustered on
 * (rid, param, seq); the old rowid becomes `seq`.
 */
export function clusterSearchTables(db: DatabaseSync): void {
  const token = tableSql(db, "sp_token");
  if (token === undefined || /WITHOUT ROWID/i.test(token)) return;
  for (const [table, columns] of Object.entries(COMPONENT_LAYOUT_COLUMNS) as [
    keyof typeof COMPONENT_LAYOUT_COLUMNS,
    string,
  ][]) {
    const names = columns
      .split(",")
      .map((c) => c.trim().split(" ")[0]!)
      .join(", ");
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL")
      .all(table) as { name: string }[];
    for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
    db.exec(`ALTER TABLE ${table} RENAME TO ${table}_old`);
    db.exec(clusteredTableDdl(table, columns));
    db.exec(
      `INSERT INTO ${table} (rid, param, seq, type, grp, ${names}) SELECT rid, param, rowid, type, grp, ${names} FROM ${table}_old`,
    );
    db.exec(`DROP TABLE ${table}_old`);
    db.exec(COMPONENT_LAYOUT_INDEXES[table]);
  }
}

/**
 * Step 5: token×quantity composites stored as component rows (`code-value-quantity$0` in
 * sp_token, `$1` in sp_quantity, tied by rid and grp) become one sp_token_quantity row per
 * pair of a live resource, the rows writeSearchRows writes for it (seq counted per parameter).
 */
export function pairTokenQuantityComposites(db: DatabaseSync): void {
  if (tableSql(db, "sp_token") === undefined || tableSql(db, "sp_token_quantity") !== undefined) return;
  db.exec(clusteredTableDdl("sp_token_quantity", TOKEN_QUANTITY_COLUMNS));
  db.exec(TOKEN_QUANTITY_INDEXES);
  const insert = db.prepare(
    `INSERT INTO sp_token_quantity (rid, param, seq, type, grp, token_system, token_code, value, system, code, unit, norm_value, norm_unit)
     SELECT t.rid, ?, row_number() OVER (PARTITION BY t.rid ORDER BY t.grp, t.seq, q.seq), t.type, t.grp, t.system, t.code,
            q.value, q.system, q.code, q.unit, q.norm_value, q.norm_unit
     FROM sp_token t JOIN sp_quantity q ON q.rid = t.rid AND q.param = ? AND q.grp = t.grp
     WHERE t.type = ? AND t.param = ? AND t.code IS NOT NULL
       AND EXISTS (SELECT 1 FROM resources r WHERE r.rid = t.rid AND r.type = t.type AND r.deleted = 0)`,
  );
  const deleteTokens = db.prepare("DELETE FROM sp_token WHERE type = ? AND param = ?");
  const deleteQuantities = db.prepare("DELETE FROM sp_quantity WHERE type = ? AND param = ?");
  for (const type of searchableTypes()) {
    for (const def of paramsFor(type).values()) {
      if (!def.expression || !isTokenQuantityComposite(def)) continue;
      insert.run(def.code, `${def.code}$1`, type, `${def.code}$0`);
      deleteTokens.run(type, `${def.code}$0`);
      deleteQuantities.run(type, `${def.code}$1`);
    }
  }
}
