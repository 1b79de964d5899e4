import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SearchRow } from "../../../../fhir/search/extractSearchValues.ts";
import { searchKeyOf } from "./searchKey.ts";
import { SEARCH_TABLES } from "./searchSchema.ts";
import { type RowWriter, SQL_SEARCH_TYPES } from "./types/index.ts";

/** The writer of each kind of row, with its table. */
const WRITERS = Object.fromEntries(
  Object.values(SQL_SEARCH_TYPES).flatMap((t) => t.writers.map((w) => [w.kind, w])),
) as Record<SearchRow["kind"], RowWriter>;

interface Statements {
  deletes: StatementSync[];
  insert: Record<SearchRow["kind"], StatementSync>;
}
const cache = new WeakMap<DatabaseSync, Statements>();

function statements(db: DatabaseSync): Statements {
  let s = cache.get(db);
  if (s) return s;
  const tables = new Map(
    Object.values(SQL_SEARCH_TYPES).flatMap((t) => (t.table ? [[t.table.name, t.table] as const] : [])),
  );
  const insert = (table: string) => {
    const names = tables
      .get(table)!
      .columns.split(",")
      .map((c) => c.trim().split(" ")[0]!);
    const marks = Array.from({ length: 5 + names.length }, () => "?").join(", ");
    return db.prepare(`INSERT INTO ${table} (rid, type, param, seq, grp, ${names.join(", ")}) VALUES (${marks})`);
  };
  s = {
    deletes: SEARCH_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE rid = ?`)),
    insert: Object.fromEntries(Object.values(WRITERS).map((w) => [w.kind, insert(w.table)])) as Statements["insert"],
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
  const key = searchKeyOf(db);
  if (!options.fresh) for (const d of s.deletes) d.run(rid);
  let seq = 0;
  // Pair rows are numbered per parameter, as the migration from component rows numbers them,
  // so a migrated index and a rebuilt one hold the same rows.
  let paramSeq = 0;
  let seqParam = "";
  for (const r of rows) {
    seq++;
    const writer = WRITERS[r.kind];
    if (writer.seqPerParam) {
      if (r.param !== seqParam) {
        seqParam = r.param;
        paramSeq = 0;
      }
      writer.run(s.insert[r.kind], rid, type, ++paramSeq, r, key);
    } else writer.run(s.insert[r.kind], rid, type, seq, r, key);
  }
}

/** Removes every search row of one resource (on delete or erasure). */
export function deleteSearchRows(db: DatabaseSync, rid: number | bigint): void {
  for (const d of statements(db).deletes) d.run(rid);
}
