import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { BLOCKS_MIGRATIONS, SqliteBlocks } from "./SqliteBlocks.ts";
import { rawCid } from "./rawCid.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function blocksPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "fhirledger-blocks-"));
  dirs.push(dir);
  return join(dir, "blocks.db");
}
const userVersion = (path: string) => {
  const db = new DatabaseSync(path);
  try {
    return Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  } finally {
    db.close();
  }
};

describe("BLOCKS_MIGRATIONS", () => {
  it("recognises a blocks file made before versions were numbered and keeps its blocks", () => {
    const path = blocksPath();
    const before = new SqliteBlocks(path);
    const bytes = new TextEncoder().encode("sealed record");
    before.put(bytes);
    before.close();
    const old = new DatabaseSync(path);
    old.exec("PRAGMA user_version = 0"); // the layout was the same, without a number
    old.close();
    const blocks = new SqliteBlocks(path);
    try {
      expect(blocks.get(rawCid(bytes).multihash.bytes)).toEqual(bytes);
    } finally {
      blocks.close();
    }
    expect(userVersion(path)).toBe(BLOCKS_MIGRATIONS.length);
  });

  it("refuses a blocks file of a later release", () => {
    const path = blocksPath();
    new SqliteBlocks(path).close();
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${BLOCKS_MIGRATIONS.length + 1}`);
    newer.close();
    expect(() => new SqliteBlocks(path)).toThrow(
      `blocks ${path} has schema version 2, newer than this fhirledger knows (1)`,
    );
  });
});

describe("SqliteBlocks.putGrouped", () => {
  it("commits the puts of one event-loop turn together, and settles only after that commit", async () => {
    const path = blocksPath();
    const blocks = new SqliteBlocks(path);
    const other = new DatabaseSync(path);
    const count = () => Number((other.prepare("SELECT count(*) AS n FROM blocks").get() as { n: number }).n);
    try {
      const payloads = Array.from({ length: 20 }, (_, i) => new TextEncoder().encode(`block ${i}`));
      const pending = payloads.map((bytes) => blocks.putGrouped(bytes));
      // nothing is committed (or acknowledged) within the turn the puts were made in
      expect(count()).toBe(0);
      const cids = await Promise.all(pending);
      expect(count()).toBe(20);
      expect(cids).toEqual(payloads.map((bytes) => rawCid(bytes).toString()));
      expect(blocks.get(rawCid(payloads[7]!).multihash.bytes)).toEqual(payloads[7]);
    } finally {
      other.close();
      blocks.close();
    }
  });
});
