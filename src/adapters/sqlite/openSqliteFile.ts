import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";

/**
 * Opens (creating when absent) a SQLite file that this server owns: its folder is made 0700
 * and the file 0600 before SQLite opens it, so the file and its -wal and -shm (SQLite gives
 * those the database file's mode) are private whatever the umask, and `secure_delete` is on,
 * so deleted rows (erased records' index rows, destroyed keys, deleted blocks) are zeroed in
 * the file instead of lingering in free pages. ":memory:" opens an in-memory database.
 */
export function openSqliteFile(path: string): DatabaseSync {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // "a" creates without truncating; an existing file keeps its mode (the start-up check refuses loose ones).
    closeSync(openSync(path, "a", 0o600));
  }
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA secure_delete = ON");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
