import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { openSqliteFile } from "./openSqliteFile.ts";

/** The lock itself: a SQLite file whose write lock the holder keeps until it stops. */
export const LOCK_FILE = "fhirledger.lock";
/** Who holds the lock, for the message others get (the lock file cannot be read while held). */
export const LOCK_OWNER_FILE = "fhirledger.lock.owner";

const SQLITE_BUSY = 5;

interface Owner {
  pid: number;
  holder: string;
  since: string;
}

/**
 * An exclusive lock on a directory, held by one process at a time: the running server, or one
 * maintenance command. It is SQLite's own file lock (`locking_mode = EXCLUSIVE` after a write),
 * an OS lock that the kernel drops when the holder dies, even by SIGKILL, so a crash never
 * leaves a stale lock behind; SQLite also keeps it against other connections in this process.
 */
export class DirectoryLock {
  readonly #db: DatabaseSync;
  readonly #dir: string;
  #released = false;

  private constructor(db: DatabaseSync, dir: string) {
    this.#db = db;
    this.#dir = dir;
  }

  /** Takes the lock of `dir` (which must exist) for `holder` (e.g. "the server"), or throws "conflict" at once. */
  static acquire(dir: string, holder: string): DirectoryLock {
    const db = openSqliteFile(join(dir, LOCK_FILE));
    try {
      // No journal: nothing in the file matters but its lock.
      db.exec("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = OFF");
      db.exec("BEGIN EXCLUSIVE");
      db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)");
      // A write: in exclusive locking mode the connection keeps its write lock after it until closed.
      db.exec("DELETE FROM holder");
      db.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
      db.exec("COMMIT");
    } catch (error) {
      db.close();
      if ((error as { errcode?: number }).errcode === SQLITE_BUSY) {
        throw new FhirLedgerError("conflict", `${dir} is in use by ${describeOwner(dir)}: stop it first`);
      }
      throw error;
    }
    const owner: Owner = { pid: process.pid, holder, since: new Date().toISOString() };
    writeFileSync(join(dir, LOCK_OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
    return new DirectoryLock(db, dir);
  }

  /** Gives the lock up (closing the connection drops it). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    rmSync(join(this.#dir, LOCK_OWNER_FILE), { force: true });
    this.#db.close();
  }
}

/** The holder as it recorded itself, or a general phrase when that record is missing or left by a dead process. */
function describeOwner(dir: string): string {
  try {
    const owner = JSON.parse(readFileSync(join(dir, LOCK_OWNER_FILE), "utf8")) as Partial<Owner>;
    if (
      typeof owner.pid === "number" &&
      typeof owner.holder === "string" &&
      typeof owner.since === "string" &&
      isAlive(owner.pid)
    ) {
      return `${owner.holder.slice(0, 80)} (pid ${owner.pid}, since ${owner.since.slice(0, 40)})`;
    }
  } catch {
    // written just after the lock was taken: a holder may not have written it yet
  }
  return "another fhirledger process (the server or a maintenance command)";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
