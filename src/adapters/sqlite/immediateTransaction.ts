import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `body` in one BEGIN IMMEDIATE transaction (the write lock taken up front, so a
 * concurrent writer waits on busy_timeout instead of failing half-way); rolls back if it throws.
 */
export function immediateTransaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
