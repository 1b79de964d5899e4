import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryIndex } from "../../src/adapters/index/memory/MemoryIndex.ts";
import { sqliteSearchIndexer } from "../../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../src/adapters/index/sqlite/SqliteIndex.ts";
import { indexContract } from "./index.contract.ts";

indexContract("MemoryIndex", async () => {
  const index = new MemoryIndex();
  return { index, cleanup: async () => index.close() };
});

indexContract("SqliteIndex (a WAL file in a temp dir, with its search tables)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-index-"));
  const index = new SqliteIndex({ path: join(dir, "index.sqlite"), search: sqliteSearchIndexer });
  return {
    index,
    cleanup: async () => {
      index.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
