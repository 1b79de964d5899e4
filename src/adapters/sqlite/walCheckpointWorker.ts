/**
 * Worker thread entry of WalCheckpointer: its own connection to each file, copying the WAL's
 * committed pages back into the database file every `intervalMs` (a PASSIVE checkpoint: it
 * waits for no reader or writer, and what it can't copy yet is left for the next round).
 */
import type { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteFile } from "./openSqliteFile.ts";

const { paths, intervalMs } = workerData as { paths: string[]; intervalMs: number };
const dbs: DatabaseSync[] = paths.map((path) => {
  const db = openSqliteFile(path);
  db.exec("PRAGMA busy_timeout = 0");
  return db;
});
let rounds = 0;

function checkpoint(): void {
  for (const db of dbs) {
    try {
      db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // busy or closing: the next round tries again (the writer's own autocheckpoint is the backstop)
    }
  }
  rounds += 1;
  parentPort?.postMessage({ rounds });
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on("message", (message: "close" | "now") => {
  if (message === "now") {
    checkpoint();
    return;
  }
  clearInterval(timer);
  for (const db of dbs) if (db.isOpen) db.close();
  parentPort?.close();
});
parentPort?.postMessage("ready");
