import type { DatabaseSync } from "node:sqlite";
import { blindName, searchKeyOf } from "../search/searchKey.ts";
import { STRING_SLOTS, stringRows } from "../search/types/string.ts";
import { UNNUMBERED_PAIR_TRIGGERS } from "./unnumberedSearchTables.ts";

/*
 * Step 8 of INDEX_MIGRATIONS: search values stop being stored in clear. Frozen: the DDL below is
 * the layout this step makes, whatever search/searchSchema.ts says later.
 */

const KEY_COLUMNS =
  "rid INTEGER NOT NULL, param TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0";

const TABLES: Readonly<Record<string, { columns: string; indexes: string }>> = {
  sp_string: {
    columns: "plen INTEGER NOT NULL, h BLOB NOT NULL, sealed BLOB NOT NULL",
    indexes: "CREATE INDEX IF NOT EXISTS sp_string_blind ON sp_string(type, param, h);",
  },
  sp_token: {
    columns: "system BLOB, code BLOB, text BLOB",
    indexes: `CREATE INDEX IF NOT EXISTS sp_token_code ON sp_token(type, param, code, system);
CREATE INDEX IF NOT EXISTS sp_token_text ON sp_token(type, param) WHERE text IS NOT NULL;`,
  },
  sp_date: {
    columns: "lo INTEGER NOT NULL, hi INTEGER NOT NULL, sealed BLOB",
    indexes: `CREATE INDEX IF NOT EXISTS sp_date_lo ON sp_date(type, param, lo, hi);
CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date(type, param, hi);`,
  },
  sp_reference: {
    columns: "target_type TEXT, target_id TEXT, url BLOB",
    indexes: `CREATE INDEX IF NOT EXISTS sp_reference_target ON sp_reference(target_id, target_type, type, param);
CREATE INDEX IF NOT EXISTS sp_reference_url ON sp_reference(type, param, url) WHERE url IS NOT NULL;`,
  },
  sp_token_quantity: {
    columns:
      "token_system BLOB, token_code BLOB NOT NULL, value REAL NOT NULL, system TEXT, code TEXT, unit TEXT, norm_value REAL, norm_unit TEXT",
    indexes: `CREATE INDEX IF NOT EXISTS sp_token_quantity_value ON sp_token_quantity(type, param, token_code, token_system, value);
CREATE INDEX IF NOT EXISTS sp_token_quantity_norm ON sp_token_quantity(type, param, token_code, token_system, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;`,
  },
};

/** What each table's clear rows (in `<name>_clear` meanwhile) become. */
const COPY: Readonly<Record<string, string>> = {
  sp_token:
    "INSERT INTO sp_token SELECT rid, param, seq, type, grp, fl_seal(system), fl_seal(code), fl_seal(text) FROM sp_token_clear",
  sp_date: `INSERT INTO sp_date SELECT rid, param, seq, type, grp,
      CASE WHEN param IN ('birthdate', 'death-date') THEN 0 ELSE lo END,
      CASE WHEN param IN ('birthdate', 'death-date') THEN 0 ELSE hi END,
      CASE WHEN param IN ('birthdate', 'death-date') THEN fl_seal(lo || ',' || hi) END
    FROM sp_date_clear`,
  sp_reference:
    "INSERT INTO sp_reference SELECT rid, param, seq, type, grp, target_type, target_id, fl_seal(url) FROM sp_reference_clear",
  sp_token_quantity:
    "INSERT INTO sp_token_quantity SELECT rid, param, seq, type, grp, fl_seal(token_system), fl_seal(token_code), value, system, code, unit, norm_value, norm_unit FROM sp_token_quantity_clear",
};

/**
 * Replaces every clear search value by its sealed or blinded form under the index's search key
 * (registered on the connection): token systems, codes and texts, reference URLs, the token
 * half of token×quantity pairs and birth and death dates (as "lo,hi"; lo and hi then 0) are sealed; each string value becomes its exact row and its
 * prefix rows (stringRows, numbered `seq * 16 + slot` as the writer numbers them). Transaction
 * receipts keep a blinded idempotency key and a sealed response. The old tables are dropped; with secure_delete on, their pages are zeroed in the file.
 */
export function blindSearchValues(db: DatabaseSync): void {
  const key = searchKeyOf(db);
  db.exec("DROP TRIGGER IF EXISTS resources_gone_pairs; DROP TRIGGER IF EXISTS resources_removed_pairs;");
  for (const [table, { columns }] of Object.entries(TABLES)) {
    // The clear table steps aside (its indexes go with it) and the new one takes its name.
    db.exec(
      `ALTER TABLE ${table} RENAME TO ${table}_clear;\n` +
        `CREATE TABLE ${table} (\n  ${KEY_COLUMNS},\n  ${columns},\n  PRIMARY KEY (rid, param, seq)\n) WITHOUT ROWID;`,
    );
    if (table === "sp_string") {
      const insert = db.prepare(
        "INSERT INTO sp_string (rid, param, seq, type, grp, plen, h, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      const rows = db.prepare("SELECT rid, param, seq, type, grp, value_norm, value FROM sp_string_clear").iterate();
      for (const r of rows as Iterable<Record<string, string | number>>) {
        const value = String(r.value);
        const sealed = key.seal(value);
        for (const [slot, plen, h] of stringRows(key, value, String(r.value_norm)))
          insert.run(r.rid!, r.param!, Number(r.seq) * STRING_SLOTS + slot, r.type!, r.grp!, plen, h, sealed);
      }
    } else db.exec(COPY[table]!);
    db.exec(`DROP TABLE ${table}_clear;`);
  }
  db.exec(
    Object.values(TABLES)
      .map((t) => t.indexes)
      .join("\n"),
  );
  db.exec(UNNUMBERED_PAIR_TRIGGERS);
  // Transaction receipts: the client's idempotency key blinded, the kept response sealed.
  const receipts = db.prepare("SELECT key, response FROM transaction_receipts").all() as {
    key: string;
    response: Uint8Array | null;
  }[];
  const update = db.prepare("UPDATE transaction_receipts SET key = ?, response = ? WHERE key = ?");
  for (const r of receipts)
    update.run(blindName(key, "receipt", r.key), r.response === null ? null : key.sealBytes(r.response), r.key);
}
