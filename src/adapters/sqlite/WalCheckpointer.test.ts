import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteFile } from "./openSqliteFile.ts";
import { WalCheckpointer } from "./WalCheckpointer.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Bytes of the database file itself (what a checkpoint has copied back from the WAL). */
const mainFileBytes = (path: string) => statSync(path).size;

describe("WalCheckpointer", () => {
  it("copies committed pages back into the database file from its own thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), "walcp-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite");
    const db = openSqliteFile(path);
    // the writer never checkpoints by itself here: only the worker can
    db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v BLOB)");
    const checkpointer = new WalCheckpointer([path], { intervalMs: 20, minFrames: 1 });
    await checkpointer.ready();
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 200; i++) insert.run(new Uint8Array(2048));
    const rounds = checkpointer.rounds;
    await expect.poll(() => checkpointer.rounds, { timeout: 5000 }).toBeGreaterThan(rounds + 1);
    // 200 rows of 2 KiB: in the main file now, not only in the WAL
    expect(mainFileBytes(path)).toBeGreaterThan(400_000);
    await checkpointer.close();
    db.close();
  });

  it("leaves the WAL alone until minFrames frames wait, then copies them back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "walcp-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite");
    const db = openSqliteFile(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v BLOB)");
    const checkpointer = new WalCheckpointer([path], { intervalMs: 20, minFrames: 3000 });
    await checkpointer.ready();
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    // 200 commits, a few frames each: under the threshold
    for (let i = 0; i < 200; i++) insert.run(new Uint8Array(2048));
    let rounds = checkpointer.rounds;
    await expect.poll(() => checkpointer.rounds, { timeout: 5000 }).toBeGreaterThan(rounds + 2);
    expect(mainFileBytes(path)).toBeLessThan(100_000);
    // ten times as many: over it
    for (let i = 0; i < 2000; i++) insert.run(new Uint8Array(2048));
    rounds = checkpointer.rounds;
    await expect.poll(() => checkpointer.rounds, { timeout: 5000 }).toBeGreaterThan(rounds + 2);
    expect(mainFileBytes(path)).toBeGreaterThan(4_000_000);
    await checkpointer.close();
    db.close();
  });

  it("without it, the same writes stay in the WAL only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "walcp-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite");
    const db = openSqliteFile(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v BLOB)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 200; i++) insert.run(new Uint8Array(2048));
    await new Promise((r) => setTimeout(r, 100));
    expect(mainFileBytes(path)).toBeLessThan(100_000);
    db.close();
  });

  it("closes its worker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "walcp-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite");
    openSqliteFile(path).close();
    const checkpointer = new WalCheckpointer([path], { intervalMs: 20 });
    await checkpointer.ready();
    await checkpointer.close();
    const rounds = checkpointer.rounds;
    await new Promise((r) => setTimeout(r, 100));
    expect(checkpointer.rounds).toBe(rounds);
  });

  it("close() settles in a process with nothing else to do (the worker is held until it exits)", () => {
    const dir = mkdtempSync(join(tmpdir(), "walcp-"));
    dirs.push(dir);
    const path = join(dir, "db.sqlite");
    openSqliteFile(path).close();
    const module = new URL("./WalCheckpointer.ts", import.meta.url).href;
    const script = `import { WalCheckpointer } from ${JSON.stringify(module)};
const c = new WalCheckpointer([${JSON.stringify(path)}]);
await c.ready();
await c.close();
console.log("closed");`;
    // an unref'd worker let such a process end with close() pending: no "closed", exit code 13
    const file = join(dir, "close.mjs");
    writeFileSync(file, script);
    const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
    expect(out.trim()).toBe("closed");
  });
});
