import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SearchRow } from "../../../../fhir/search/extractSearchValues.ts";
import { SEARCH_TABLES } from "./searchSchema.ts";

interface Statements {
  deletes: StatementSync[];
  insert: Record<SearchRow["kind"], StatementSync>;
}
const cache = new WeakMap<DatabaseSync, Statements>();

function statements(db: DatabaseSync): Statements {
  let s = cache.get(db);
  if (s) return s;
  const prefix = "(rid, type, param, seq, grp, ";
  s = {
    deletes: SEARCH_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE rid = ?`)),
    insert: {
      string: db.prepare(`INSERT INTO sp_string ${prefix}value_norm, value) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      token: db.prepare(`INSERT INTO sp_token ${prefix}system, code, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      date: db.prepare(`INSERT INTO sp_date ${prefix}lo, hi) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      number: db.prepare(`INSERT INTO sp_number ${prefix}value) VALUES (?, ?, ?, ?, ?, ?)`),
      quantity: db.prepare(
        `INSERT INTO sp_quantity ${prefix}value, system, code, unit, norm_value, norm_unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      reference: db.prepare(
        `INSERT INTO sp_reference ${prefix}target_type, target_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      uri: db.prepare(`INSERT INTO sp_uri ${prefix}value) VALUES (?, ?, ?, ?, ?, ?)`),
      "token-quantity": db.prepare(
        `INSERT INTO sp_token_quantity ${prefix}token_system, token_code, value, system, code, unit, norm_value, norm_unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    },
  };
  cache.set(db, s);
  return s;
}

export interface WriteSearchRowsOptions {
  /** the rid is new (create, import): skip deleting previous rows */
  fresh?: boolean;
}

/**
 * Replaces the search rows of one resource (`rid`) with `rows`.
 * Run it inside the caller's transaction together with the resources row.
 */
export function writeSearchRows(
  db: DatabaseSync,
  rid: number | bigint,
  type: string,
  rows: readonly SearchRow[],
  options: WriteSearchRowsOptions = {},
): void {
  const s = statements(db);
  if (!options.fresh) for (const d of s.deletes) d.run(rid);
  let seq = 0;
  // Pair rows are numbered per parameter, as the migration from component rows numbers them,
  // so a migrated index and a rebuilt one hold the same rows.
  let pairSeq = 0;
  let pairParam = "";
  for (const r of rows) {
    seq++;
    switch (r.kind) {
      case "string":
        s.insert.string.run(rid, type, r.param, seq, r.grp, r.norm, r.value);
        break;
      case "token":
        s.insert.token.run(rid, type, r.param, seq, r.grp, r.system, r.code, r.text);
        break;
      case "date":
        s.insert.date.run(rid, type, r.param, seq, r.grp, r.lo, r.hi);
        break;
      case "number":
        s.insert.number.run(rid, type, r.param, seq, r.grp, r.value);
        break;
      case "quantity":
        s.insert.quantity.run(
          rid,
          type,
          r.param,
          seq,
          r.grp,
          r.value,
          r.system,
          r.code,
          r.unit,
          r.normValue,
          r.normUnit,
        );
        break;
      case "reference":
        s.insert.reference.run(rid, type, r.param, seq, r.grp, r.targetType, r.targetId, r.url);
        break;
      case "uri":
        s.insert.uri.run(rid, type, r.param, seq, r.grp, r.value);
        break;
      case "token-quantity":
        if (r.param !== pairParam) {
          pairParam = r.param;
          pairSeq = 0;
        }
        s.insert["token-quantity"].run(
          rid,
          type,
          r.param,
          ++pairSeq,
          r.grp,
          r.tokenSystem,
          r.tokenCode,
          r.value,
          r.system,
          r.code,
          r.unit,
          r.normValue,
          r.normUnit,
        );
        break;
    }
  }
}

/** Removes every search row of one resource (on delete or erasure). */
export function deleteSearchRows(db: DatabaseSync, rid: number | bigint): void {
  for (const d of statements(db).deletes) d.run(rid);
}
