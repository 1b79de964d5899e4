import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteIndex } from "./SqliteIndex.ts";
import { TEST_SEARCH_KEY } from "./search/testSupport/testSearchKey.ts";

const write = (index: SqliteIndex, id: string, versionId: number, extra: { deleted?: boolean } = {}) =>
  index.commit({
    type: "Patient",
    id,
    versionId,
    lastUpdated: `2026-01-01T00:00:0${versionId}.000Z`,
    deleted: extra.deleted ?? false,
    cid: extra.deleted ? null : `cid-${id}-${versionId}`,
    contentHash: "00",
    keyId: null,
    compartment: null,
    leafHash: new Uint8Array(32).fill(versionId),
    expectedPreviousVersion: versionId - 1,
  });

/** GET by id reads through a second, memory-mapped connection when the index is a file. */
describe("SqliteIndex reader connection", () => {
  let dir: string;
  let index: SqliteIndex;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "index-reader-"));
    index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path: join(dir, "index.sqlite") });
  });
  afterEach(async () => {
    await index.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sees every commit as soon as it returns: create, update, delete", async () => {
    expect(await index.currentVersion("Patient", "p")).toBeNull();
    await write(index, "p", 1);
    expect(await index.currentVersion("Patient", "p")).toMatchObject({
      versionId: 1,
      cid: "cid-p-1",
      deleted: false,
      leafHash: new Uint8Array(32).fill(1),
    });
    await write(index, "p", 2);
    expect(await index.currentVersion("Patient", "p")).toMatchObject({ versionId: 2, cid: "cid-p-2" });
    await write(index, "p", 3, { deleted: true });
    expect(await index.currentVersion("Patient", "p")).toMatchObject({ versionId: 3, deleted: true, cid: null });
    // The same answers as the writer's own connection gives.
    expect(await index.currentVersion("Patient", "p")).toEqual(await index.version("Patient", "p", 3));
  });

  it("holds no read transaction between reads, so a checkpoint can empty the WAL", async () => {
    for (let i = 1; i <= 50; i++) await write(index, `p${i}`, 1);
    expect((await index.currentVersion("Patient", "p7"))?.cid).toBe("cid-p7-1");
    const result = index.db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get() as {
      busy: number;
      log: number;
      checkpointed: number;
    };
    expect(result).toEqual({ busy: 0, log: 0, checkpointed: 0 });
  });

  it("closes with the index", async () => {
    await write(index, "p", 1);
    await index.close();
    await expect(index.currentVersion("Patient", "p")).rejects.toThrow();
  });
});
