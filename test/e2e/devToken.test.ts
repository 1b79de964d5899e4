import { readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import { startTestServer } from "../support/testServer.ts";

describe("development token", () => {
  it("is new at each start, kept 0600 under the keys directory, and the previous one is refused", async () => {
    const overrides = () => ({ blobs: new MemoryBlobStore(), ledger: new MemoryLedger() });
    const first = await startTestServer({ overrides: overrides() });
    const file = join(first.config.keys.dir, "dev-token");
    const firstToken = first.devToken!;
    try {
      expect(readFileSync(file, "utf8").trim()).toBe(firstToken);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await first.request("/Patient")).status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await startTestServer({ dataDir: first.dataDir, overrides: overrides() });
    try {
      expect(second.devToken).not.toBe(firstToken);
      expect(readFileSync(file, "utf8").trim()).toBe(second.devToken);
      expect((await second.request("/Patient")).status).toBe(200);
      const stale = await second.request("/Patient", { headers: { authorization: `Bearer ${firstToken}` } });
      expect(stale.status).toBe(401);
    } finally {
      await second.close();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });
});
