import type { DatabaseSync } from "node:sqlite";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

interface Unit {
  body: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: units of work (a version, a FHIR transaction's versions) handed in while a
 * transaction is pending share one SQLite transaction, each inside its own savepoint. A unit
 * that throws (a version conflict, a repeated idempotency key) is rolled back alone and its
 * caller gets the error; the others commit. Every caller's promise settles only after the
 * shared COMMIT, so nothing is acknowledged before it is in the WAL (a SIGKILL loses nothing
 * acknowledged), and a failed COMMIT fails every unit of the group.
 *
 * The window: the group is committed at the end of the event-loop turn in which its first unit
 * arrived (setImmediate: the requests whose bodies were read in that turn join it), or at once
 * when `maxUnits` are waiting. Under load a turn holds many requests; alone, a write waits for
 * no one.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #maxUnits: number;
  #queue: Unit[] = [];
  #scheduled = false;
  /** Transactions committed (for tests and metrics). */
  transactions = 0;
  /** Units committed. */
  units = 0;

  constructor(db: DatabaseSync, maxUnits = 256) {
    this.#db = db;
    this.#maxUnits = maxUnits;
  }

  /**
   * Runs `body` in the next group's transaction; settles after that transaction commits.
   * `now`: commit at once with what waits (a large FHIR transaction: its own work amortises the
   * transaction, and waiting for the turn to end would hold it behind whatever the event loop
   * runs meanwhile, such as the next bundle's validation).
   */
  run<T>(body: () => T, options: { now?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unit = { body, resolve: resolve as (value: unknown) => void, reject };
      if (options.now) {
        // what waits goes first, in its own group; then this one alone (no savepoint)
        this.flush();
        this.#queue.push(unit);
        this.flush();
        return;
      }
      this.#queue.push(unit);
      if (this.#queue.length >= this.#maxUnits) this.flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Commits what is waiting now (close() calls it, so nothing handed in is dropped). */
  flush(): void {
    const units = this.#queue;
    this.#queue = [];
    if (units.length === 0) return;
    const db = this.#db;
    if (!db.isOpen) {
      const closed = new FhirLedgerError("unavailable", "the index is closed");
      for (const u of units) u.reject(closed);
      return;
    }
    const done: [Unit, unknown][] = [];
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      for (const u of units) u.reject(error);
      return;
    }
    // Alone, a unit needs no savepoint: on error the whole transaction is its own. (A savepoint
    // makes SQLite copy every page it first touches into a sub-journal: a 2,000-entry bundle
    // committed at half the speed.)
    const alone = units.length === 1;
    try {
      for (const u of units) {
        if (!alone) db.exec("SAVEPOINT unit");
        try {
          const result = u.body();
          if (!alone) db.exec("RELEASE unit");
          done.push([u, result]);
        } catch (error) {
          if (alone) db.exec("ROLLBACK");
          else {
            db.exec("ROLLBACK TO unit");
            db.exec("RELEASE unit");
          }
          u.reject(error);
        }
      }
      if (alone && done.length === 0) return; // rolled back above
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      for (const [u] of done) u.reject(error);
      return;
    }
    this.transactions++;
    this.units += done.length;
    for (const [u, result] of done) u.resolve(result);
  }
}
