import { describe, expect, it } from "vitest";
import type { VersionWrite } from "../../../ports/VersionStore.ts";
import { SqliteIndex } from "./SqliteIndex.ts";

const write = (id: string, expectedPreviousVersion = 0): VersionWrite => ({
  type: "Basic",
  id,
  versionId: expectedPreviousVersion + 1,
  lastUpdated: "2026-01-01T00:00:00.000Z",
  deleted: false,
  cid: "cid",
  contentHash: "00",
  keyId: null,
  compartment: null,
  leafHash: new Uint8Array(32),
  expectedPreviousVersion,
});

describe("SqliteIndex transaction receipts", () => {
  it("commits a receipt with the writes, and a repeat of the key writes nothing", async () => {
    const index = new SqliteIndex({ path: ":memory:" });
    try {
      await index.commitMany([write("a")], { key: "k1", requestHash: "h1" });
      expect(await index.transactionReceipt("k1")).toMatchObject({ key: "k1", requestHash: "h1", response: null });
      await index.keepTransactionResponse("k1", new Uint8Array([1, 2, 3]));
      expect((await index.transactionReceipt("k1"))?.response).toEqual(new Uint8Array([1, 2, 3]));
      await expect(index.commitMany([write("b")], { key: "k1", requestHash: "h1" })).rejects.toThrow(
        expect.objectContaining({ code: "conflict" }),
      );
      expect(await index.current("Basic", "b")).toBeNull();
    } finally {
      index.close();
    }
  });

  it("leaves no receipt when the transaction's writes fail (one SQLite transaction)", async () => {
    const index = new SqliteIndex({ path: ":memory:" });
    try {
      // the second write expects a version that is not there: the whole commit rolls back
      await expect(index.commitMany([write("c"), write("d", 5)], { key: "k2", requestHash: "h2" })).rejects.toThrow(
        expect.objectContaining({ code: "conflict" }),
      );
      expect(await index.transactionReceipt("k2")).toBeNull();
      expect(await index.current("Basic", "c")).toBeNull();
    } finally {
      index.close();
    }
  });
});
