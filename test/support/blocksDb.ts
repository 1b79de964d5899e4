import { DatabaseSync } from "node:sqlite";
import { expect } from "vitest";

/** A connection of the test's own to a blocks.db (SqliteBlocks), closed after use. */
function withBlocksDb<T>(path: string, use: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    return use(db);
  } finally {
    db.close();
  }
}

/** Every stored block's bytes. */
export function storedBlocks(path: string): Uint8Array[] {
  return withBlocksDb(path, (db) =>
    (db.prepare("SELECT bytes FROM blocks").all() as { bytes: Uint8Array }[]).map((r) => r.bytes),
  );
}

/**
 * XORs one byte of a stored block with `mask`, behind the store's back (as anyone with the file
 * could); `at` < 0 counts from the end, as Array.prototype.at does.
 */
export function flipBlockByte(path: string, multihash: Uint8Array, at: number, mask: number): void {
  withBlocksDb(path, (db) => {
    const { bytes } = db.prepare("SELECT bytes FROM blocks WHERE multihash = ?").get(multihash) as {
      bytes: Uint8Array;
    };
    const i = at < 0 ? bytes.length + at : at;
    bytes[i] = bytes[i]! ^ mask;
    expect(db.prepare("UPDATE blocks SET bytes = ? WHERE multihash = ?").run(bytes, multihash).changes).toBe(1);
  });
}
