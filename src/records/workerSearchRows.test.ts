import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { SEARCH_TABLES } from "../adapters/index/sqlite/search/searchSchema.ts";
import { sqliteSearchIndexer } from "../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import type { PrepareItem, Prepared, RecordPreparer } from "./prepareRecords.ts";
import { RecordRepository } from "./RecordRepository.ts";
import type { FhirResource } from "./RecordRepository.ts";
import { WorkerPreparer } from "./WorkerPreparer.ts";
import { TEST_SEARCH_KEY } from "../adapters/index/sqlite/search/testSupport/testSearchKey.ts";

/** A patient's Synthea transaction bundle, its resources with the ids they declare (or new ones). */
function syntheaResources(): FhirResource[] {
  const url = new URL(
    "../../test/fixtures/synthea-bundles/8a4c9c04-1524-9f1c-d65b-9b17e4520fef.json.gz",
    import.meta.url,
  );
  const bundle = JSON.parse(gunzipSync(readFileSync(url)).toString()) as { entry: { resource: FhirResource }[] };
  return bundle.entry.map((e) => ({ ...e.resource, id: e.resource.id ?? randomUUID() }));
}

function searchTables(index: SqliteIndex): Record<string, unknown[]> {
  return Object.fromEntries(
    SEARCH_TABLES.map((t) => [t, index.db.prepare(`SELECT * FROM ${t} ORDER BY rid, param, seq`).all()]),
  );
}

describe("search rows extracted on the preparation worker", () => {
  let dir: string;
  let keys: FileKeyStore;
  const worker = new WorkerPreparer();
  let packedBatches = 0;
  /** The worker, counting the batches whose every result came back with packed rows. */
  const counting: RecordPreparer = {
    prepare: async (items: PrepareItem[], dataKeys: DataKey[], options: { extract: boolean }): Promise<Prepared[]> => {
      const results = await worker.prepare(items, dataKeys, options);
      if (results.every((r) => r.rows !== undefined)) packedBatches += 1;
      return results;
    },
    close: () => worker.close(),
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-rows-"));
    keys = await FileKeyStore.open({ dir });
  });
  afterAll(async () => {
    await worker.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("index exactly the rows the index extracts itself, for every resource of a Synthea patient", async () => {
    const resources = syntheaResources();
    expect(resources.length).toBeGreaterThan(16); // a batch the worker takes (smaller ones are prepared inline)
    const write = async (preparer?: RecordPreparer) => {
      // one search key for both, so equal rows seal equally
      const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer, searchKey: TEST_SEARCH_KEY });
      const records = new RecordRepository({
        index,
        blobs: new MemoryBlobStore(),
        keys,
        compartmentOf: () => null,
        ...(preparer ? { preparer } : {}),
      });
      await records.writeAll(
        resources.map((resource) => ({
          kind: "write" as const,
          type: resource.resourceType,
          id: String(resource.id),
          resource,
        })),
      );
      return index;
    };
    const viaWorker = await write(counting);
    const inline = await write();
    expect(packedBatches).toBe(1);
    const rows = searchTables(viaWorker);
    expect(Object.values(rows).reduce((n, t) => n + t.length, 0)).toBeGreaterThan(500);
    expect(rows).toEqual(searchTables(inline));
    viaWorker.close();
    inline.close();
  });
});
