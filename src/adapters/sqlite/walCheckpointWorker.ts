/**
 * Worker thread entry of WalCheckpointer: its own connection to each file; every `intervalMs`
 * it looks how many WAL frames are not yet in the database file and, from `minFrames` on,
 * copies them back (a PASSIVE checkpoint: it waits for no reader or writer, and what it can't
 * copy yet is left for the next round). Copying seldom matters: a page dirtied by many commits
 * is written back once per checkpoint, not once per second.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import type { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteFile } from "./openSqliteFile.ts";

const { paths, intervalMs, minFrames } = workerData as { paths: string[]; intervalMs: number; minFrames: number };
const header = Buffer.alloc(100);
const LITTLE_ENDIAN = endianness() === "LE";

/**
 * Frames in the WAL not yet copied into the database file, from the wal-index header in the
 * -shm file: mxFrame at byte 16, nBackfill at byte 96, in the machine's byte order
 * (https://sqlite.org/walformat.html#the_wal_index_file_format); Infinity when unreadable.
 */
function pendingFrames(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(`${path}-shm`, "r");
    if (readSync(fd, header, 0, 100, 0) < 100) return Number.POSITIVE_INFINITY;
    const read = (at: number) => (LITTLE_ENDIAN ? header.readUInt32LE(at) : header.readUInt32BE(at));
    return Math.max(0, read(16) - read(96));
  } catch {
    return Number.POSITIVE_INFINITY;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
const dbs: DatabaseSync[] = paths.map((path) => {
  const db = openSqliteFile(path);
  db.exec("PRAGMA busy_timeout = 0");
  return db;
});
let rounds = 0;

function checkpoint(force = false): void {
  for (const [i, db] of dbs.entries()) {
    if (!force && pendingFrames(paths[i]!) < minFrames) continue;
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
    checkpoint(true);
    return;
  }
  clearInterval(timer);
  for (const db of dbs) if (db.isOpen) db.close();
  parentPort?.close();
});
parentPort?.postMessage("ready");
