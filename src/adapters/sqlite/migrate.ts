import type { DatabaseSync } from "node:sqlite";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { immediateTransaction } from "./immediateTransaction.ts";

/**
 * One numbered change of a SQLite file's layout. `up` takes a file of layout `version - 1` to
 * layout `version`; a released step is never edited (a change is a new step).
 */
export interface Migration {
  version: number;
  name: string;
  up(db: DatabaseSync): void;
}

/** The layout a file records in its header (`PRAGMA user_version`; 0 for a new file). */
export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
}

/**
 * Brings a SQLite file to the last of `migrations` (numbered 1, 2, … in order): each step
 * after the file's `user_version` runs in its own transaction, which also records its number,
 * so a crash leaves the file at the last step that completed. A file of a newer layout than
 * this code knows is refused before anything is written. Several connections may open the
 * same file at once: the version is read again under the write lock, so a step runs once.
 * `file` names the file in messages.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], file: string): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${file} migrations: step ${i} is numbered ${m.version}, not ${i + 1}`);
  });
  const latest = migrations.length;
  const refuseNewer = (found: number) => {
    if (found > latest)
      throw new FhirLedgerError(
        "internal",
        `${file} has schema version ${found}, newer than this fhirledger knows (${latest}): ` +
          "it was written by a later release; run that release, or restore a copy made by this one",
      );
  };
  const found = schemaVersion(db);
  refuseNewer(found);
  for (const step of migrations.slice(found)) {
    immediateTransaction(db, () => {
      const now = schemaVersion(db);
      refuseNewer(now);
      if (now >= step.version) return; // another connection applied it meanwhile
      step.up(db);
      db.exec(`PRAGMA user_version = ${step.version}`);
    });
  }
}
