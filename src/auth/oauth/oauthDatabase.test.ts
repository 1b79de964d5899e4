import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openOAuthDatabase } from "./oauthDatabase.ts";

describe("openOAuthDatabase", () => {
  it("opens a private WAL file that commits without an fsync per token (synchronous NORMAL)", () => {
    const dir = mkdtempSync(join(tmpdir(), "oauth-db-"));
    try {
      const path = join(dir, "oauth.sqlite");
      const db = openOAuthDatabase(path);
      expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      // 1 = NORMAL (2 = FULL, the default, fsyncs the WAL at every commit)
      expect(db.prepare("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
      db.close();
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
