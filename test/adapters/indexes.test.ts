import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryIndex } from "../../src/adapters/index/memory/MemoryIndex.ts";
import { sqliteSearchIndexer } from "../../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../src/adapters/index/sqlite/SqliteIndex.ts";
import { indexContract } from "./index.contract.ts";
import { searchIndexContract } from "./searchIndex.contract.ts";
import { TEST_SEARCH_KEY } from "../../src/adapters/index/sqlite/search/testSupport/testSearchKey.ts";

indexContract("MemoryIndex", async () => {
  const index = new MemoryIndex();
  return { index, cleanup: async () => index.close() };
});

indexContract("SqliteIndex (a WAL file in a temp dir, with its search tables)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-index-"));
  const index = new SqliteIndex({
    searchKey: TEST_SEARCH_KEY,
    path: join(dir, "index.sqlite"),
    search: sqliteSearchIndexer,
  });
  return {
    index,
    cleanup: async () => {
      index.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

searchIndexContract("SqliteIndex, reads on the calling thread", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-search-"));
  const index = new SqliteIndex({
    searchKey: TEST_SEARCH_KEY,
    path: join(dir, "index.sqlite"),
    search: sqliteSearchIndexer,
  });
  return {
    index,
    cleanup: async () => {
      await index.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

searchIndexContract("SqliteIndex, reads on reader threads", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-search-"));
  const index = new SqliteIndex({
    searchKey: TEST_SEARCH_KEY,
    path: join(dir, "index.sqlite"),
    search: sqliteSearchIndexer,
    readers: { count: 1, queryTimeoutMs: 30_000 },
  });
  return {
    index,
    cleanup: async () => {
      await index.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
