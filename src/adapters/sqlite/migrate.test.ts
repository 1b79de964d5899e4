import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { type Migration, migrate, schemaVersion } from "./migrate.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "fhirledger-migrate-"));
  dirs.push(dir);
  return join(dir, "file.sqlite");
}

const tables = (db: DatabaseSync) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );

const steps: Migration[] = [
  { version: 1, name: "a", up: (db) => db.exec("CREATE TABLE a (x)") },
  { version: 2, name: "b", up: (db) => db.exec("CREATE TABLE b (x)") },
  { version: 3, name: "c", up: (db) => db.exec("ALTER TABLE a ADD COLUMN y") },
];

describe("migrate", () => {
  it("runs every step on a new file, in order, and records the last", () => {
    const db = new DatabaseSync(":memory:");
    migrate(db, steps, "test file");
    expect(schemaVersion(db)).toBe(3);
    expect(tables(db)).toEqual(["a", "b"]);
  });

  it("runs only the steps after the file's version; a current file is left alone", () => {
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE a (x); PRAGMA user_version = 1;");
    const ran: string[] = [];
    const watched = steps.map((s) => ({
      ...s,
      up: (d: DatabaseSync) => {
        ran.push(s.name);
        s.up(d);
      },
    }));
    migrate(db, watched, "test file");
    expect(ran).toEqual(["b", "c"]);
    migrate(db, watched, "test file");
    expect(ran).toEqual(["b", "c"]);
  });

  it("leaves a file at the last step that completed when one fails: the failed step changes nothing", () => {
    const db = new DatabaseSync(":memory:");
    const failing: Migration[] = [
      steps[0]!,
      {
        version: 2,
        name: "half",
        up: (d) => {
          d.exec("CREATE TABLE half (x)");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(db, failing, "test file")).toThrow("boom");
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(["a"]);
    migrate(db, steps, "test file"); // a fixed release carries on from there
    expect(schemaVersion(db)).toBe(3);
  });

  it("refuses a file of a newer layout than the code knows, naming both versions, and changes nothing", () => {
    const path = tempPath();
    const newer = new DatabaseSync(path);
    newer.exec("CREATE TABLE future (x); PRAGMA user_version = 4;");
    expect(() => migrate(newer, steps, `index ${path}`)).toThrow(
      `index ${path} has schema version 4, newer than this fhirledger knows (3)`,
    );
    expect(schemaVersion(newer)).toBe(4);
    expect(tables(newer)).toEqual(["future"]);
    newer.close();
  });

  it("a second connection to the file runs no step again", () => {
    const path = tempPath();
    const first = new DatabaseSync(path);
    const second = new DatabaseSync(path);
    let count = 0;
    const counted = steps.map((s) => ({
      ...s,
      up: (d: DatabaseSync) => {
        count++;
        s.up(d);
      },
    }));
    expect(schemaVersion(second)).toBe(0);
    migrate(first, counted, "test file");
    migrate(second, counted, "test file");
    expect(count).toBe(3);
    expect(schemaVersion(second)).toBe(3);
    first.close();
    second.close();
  });

  it("rejects steps that are not numbered 1, 2, 3, …", () => {
    const db = new DatabaseSync(":memory:");
    expect(() => migrate(db, [steps[0]!, steps[2]!], "test file")).toThrow("step 1 is numbered 3, not 2");
  });
});
