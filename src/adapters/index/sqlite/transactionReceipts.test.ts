import { describe, expect, it } from "vitest";
import type { VersionWrite } from "../../../ports/Index.ts";
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
  it("commits a receipt with the writes, and a repeat of the key writes nothing", () => {
    const index = new SqliteIndex({ path: ":memory:" });
    try {
      index.commitMany([write("a")], { key: "k1", requestHash: "h1" });
      expect(index.transactionReceipt("k1")).toMatchObject({ key: "k1", requestHash: "h1", response: null });
      index.keepTransactionResponse("k1", new Uint8Array([1, 2, 3]));
      expect(index.transactionReceipt("k1")?.response).toEqual(new Uint8Array([1, 2, 3]));
      expect(() => index.commitMany([write("b")], { key: "k1", requestHash: "h1" })).toThrow(
        expect.objectContaining({ code: "conflict" }),
      );
      expect(index.current("Basic", "b")).toBeNull();
    } finally {
      index.close();
    }
  });

  it("leaves no receipt when the transaction's writes fail (one SQLite transaction)", () => {
    const index = new SqliteIndex({ path: ":memory:" });
    try {
      // the second write expects a version that is not there: the whole commit rolls back
      expect(() => index.commitMany([write("c"), write("d", 5)], { key: "k2", requestHash: "h2" })).toThrow(
        expect.objectContaining({ code: "conflict" }),
      );
      expect(index.transactionReceipt("k2")).toBeNull();
      expect(index.current("Basic", "c")).toBeNull();
    } finally {
      index.close();
    }
  });
});
