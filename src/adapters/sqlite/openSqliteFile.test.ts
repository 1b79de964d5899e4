import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteFile } from "./openSqliteFile.ts";

let root: string;
let umask: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "fhirledger-sqlite-file-"));
  umask = process.umask(0o022); // the usual default: files 0644, folders 0755 unless asked otherwise
});
afterEach(() => {
  process.umask(umask);
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe("openSqliteFile", () => {
  it("creates the folder 0700 and the file, its -wal and -shm 0600 under umask 022", () => {
    const path = join(root, "nested", "data.sqlite");
    const db = openSqliteFile(path);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    expect(mode(join(root, "nested"))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    db.close();
  });

  it("turns secure_delete on: a deleted row's bytes are gone from the file", () => {
    const path = join(root, "data.sqlite");
    const db = openSqliteFile(path);
    expect(db.prepare("PRAGMA secure_delete").get()).toEqual({ secure_delete: 1 });
    const secret = "Quixotewright-erased-value";
    db.exec("CREATE TABLE t (x TEXT)");
    db.prepare("INSERT INTO t VALUES (?)").run(secret);
    db.prepare("INSERT INTO t VALUES (?)").run("kept");
    db.exec("DELETE FROM t WHERE x <> 'kept'");
    db.close();
    expect(readFileSync(path).includes(secret)).toBe(false);
  });

  it("leaves an existing file's content alone", () => {
    const path = join(root, "data.sqlite");
    const first = openSqliteFile(path);
    first.exec("CREATE TABLE t (x); INSERT INTO t VALUES (42);");
    first.close();
    const again = openSqliteFile(path);
    expect(again.prepare("SELECT x FROM t").get()).toEqual({ x: 42 });
    again.close();
  });
});
