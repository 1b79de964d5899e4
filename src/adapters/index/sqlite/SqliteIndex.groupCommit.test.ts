import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import type { VersionWrite } from "../../../ports/VersionStore.ts";
import { TEST_SEARCH_KEY } from "./search/testSupport/testSearchKey.ts";
import { SqliteIndex } from "./SqliteIndex.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function open(): { index: SqliteIndex; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "fhirledger-group-"));
  dirs.push(dir);
  const path = join(dir, "index.sqlite");
  return { index: new SqliteIndex({ path, searchKey: TEST_SEARCH_KEY }), path };
}

let leaf = 0;
const write = (id: string, versionId = 1, type = "Basic"): VersionWrite => ({
  type,
  id,
  versionId,
  lastUpdated: "2026-01-01T00:00:00.000Z",
  deleted: false,
  cid: `cid-${id}-${versionId}`,
  contentHash: `h-${id}`,
  keyId: null,
  compartment: null,
  leafHash: new Uint8Array(32).fill(++leaf % 256),
  expectedPreviousVersion: versionId - 1,
});

describe("group commit", () => {
  it("commits concurrent writes in one transaction, each acknowledged only once it is committed", async () => {
    const { index, path } = open();
    const other = new DatabaseSync(path, { readOnly: true });
    try {
      const before = index.commitGroups();
      const pending = Array.from({ length: 100 }, (_, i) => index.commit(write(`b${i}`)));
      // handed in, not committed: another connection sees none of them yet
      expect(other.prepare("SELECT count(*) AS n FROM resources").get()).toEqual({ n: 0 });
      const rows = await Promise.all(pending);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, i) => `b${i}`));
      expect(other.prepare("SELECT count(*) AS n FROM resources").get()).toEqual({ n: 100 });
      expect(index.commitGroups()).toEqual({ transactions: before.transactions + 1, units: before.units + 100 });
    } finally {
      other.close();
      await index.close();
    }
  });

  it("commits at once when 256 units wait, so a group never grows past that", async () => {
    const { index } = open();
    try {
      const before = index.commitGroups();
      const rows = await Promise.all(Array.from({ length: 300 }, (_, i) => index.commit(write(`m${i}`))));
      expect(rows).toHaveLength(300);
      // 256 in the first transaction (flushed as the 256th arrived), the other 44 in the next
      expect(index.commitGroups()).toEqual({ transactions: before.transactions + 2, units: before.units + 300 });
    } finally {
      await index.close();
    }
  });

  it("a read by id sees each commit: the cached current row is dropped by the write and by erasure", async () => {
    const { index } = open();
    try {
      await index.commit({ ...write("c1", 1, "Observation"), compartment: "Patient/p1" });
      const first = await index.currentVersion("Observation", "c1");
      expect(first?.versionId).toBe(1);
      // the same frozen row while nothing changes
      expect(await index.currentVersion("Observation", "c1")).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      await index.commit({ ...write("c1", 2, "Observation"), compartment: "Patient/p1" });
      expect((await index.currentVersion("Observation", "c1"))?.versionId).toBe(2);
      // a unit rolled back (version conflict) leaves the row as committed
      await expect(index.commit({ ...write("c1", 2, "Observation"), compartment: "Patient/p1" })).rejects.toThrow(
        /conflict/,
      );
      expect((await index.currentVersion("Observation", "c1"))?.versionId).toBe(2);
      await index.eraseCompartment("Patient/p1", [{ type: "Observation", id: "c1" }], []);
      expect(await index.currentVersion("Observation", "c1")).toBeNull();
    } finally {
      await index.close();
    }
  });

  it("rolls back only the unit that fails: a version conflict and a repeated transaction key", async () => {
    const { index } = open();
    try {
      await index.commit(write("x"));
      const results = await Promise.allSettled([
        index.commit(write("x", 2)),
        index.commit(write("x", 2)), // same expected version: loses
        index.commitMany([write("t1"), write("t2")], { key: "k", requestHash: "h" }),
        index.commitMany([write("t3")], { key: "k", requestHash: "h" }), // the key is taken: nothing of it lands
        index.commit(write("y")),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/version conflict/);
      expect(String((results[3] as PromiseRejectedResult).reason)).toMatch(/committed before/);
      expect((await index.current("Basic", "x"))?.versionId).toBe(2);
      expect(await index.current("Basic", "t3")).toBeNull();
      expect((await index.current("Basic", "t2"))?.versionId).toBe(1);
      expect((await index.pendingLeaves(100)).length).toBe(5); // x1, x2, t1, t2, y: no leaf of a rolled-back unit
    } finally {
      await index.close();
    }
  });

  it("commits a large FHIR transaction at once, after what waited, and a unit alone that fails leaves nothing", async () => {
    const { index } = open();
    try {
      const before = index.commitGroups();
      const small = [index.commit(write("s1")), index.commit(write("s2"))];
      const large = index.commitMany(Array.from({ length: 16 }, (_, i) => write(`l${i}`)));
      // both groups committed before anything awaited: the large one did not wait for the turn to end
      expect(index.commitGroups()).toEqual({ transactions: before.transactions + 2, units: before.units + 3 });
      await Promise.all([...small, large]);
      const failing = index.commitMany([write("ok"), write("s1")]); // s1 exists: a conflict, alone in its group
      await expect(failing).rejects.toThrow(/version conflict/);
      expect(await index.current("Basic", "ok")).toBeNull();
      expect((await index.commit(write("ok"))).versionId).toBe(1);
    } finally {
      await index.close();
    }
  });

  it("commits what is waiting when the index closes", async () => {
    const { index, path } = open();
    const pending = index.commit(write("late"));
    await index.close();
    await expect(pending).resolves.toMatchObject({ id: "late" });
    const again = new SqliteIndex({ path, searchKey: TEST_SEARCH_KEY });
    try {
      expect((await again.current("Basic", "late"))?.versionId).toBe(1);
    } finally {
      await again.close();
    }
  });

  it("fails every unit of a group whose transaction cannot start (the write lock held elsewhere), and none is visible", async () => {
    const { index, path } = open();
    const other = new DatabaseSync(path);
    try {
      // another connection holds the write lock past the busy timeout: BEGIN IMMEDIATE fails
      index.db.exec("PRAGMA busy_timeout = 50");
      other.exec("BEGIN IMMEDIATE");
      const results = await Promise.allSettled([index.commit(write("a")), index.commit(write("b"))]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
      other.exec("ROLLBACK");
      expect(await index.current("Basic", "a")).toBeNull();
      expect((await index.commit(write("a"))).versionId).toBe(1);
    } finally {
      other.close();
      await index.close();
    }
  });
});
