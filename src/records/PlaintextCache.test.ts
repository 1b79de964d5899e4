import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { PlaintextCache } from "./PlaintextCache.ts";
import { RecordRepository } from "./RecordRepository.ts";

describe("PlaintextCache", () => {
  const bytes = (n: number) => new Uint8Array(n).fill(1);

  it("keeps plaintexts up to its byte bound, least recently used out first, and only under their content hash", () => {
    const cache = new PlaintextCache({ maxBytes: 100, maxEntryBytes: 60 });
    cache.set("a", "ha", bytes(40));
    cache.set("b", "hb", bytes(40));
    expect(cache.get("a", "ha")).toBeDefined(); // a is now the most recent
    cache.set("c", "hc", bytes(40)); // 120 > 100: b goes
    expect(cache.get("b", "hb")).toBeUndefined();
    expect(cache.get("a", "other hash")).toBeUndefined();
    expect(cache.bytes).toBe(80);
    cache.set("big", "h", bytes(61)); // over the entry bound: not kept
    expect(cache.get("big", "h")).toBeUndefined();
    cache.delete("a");
    expect(cache.get("a", "ha")).toBeUndefined();
    expect(cache.bytes).toBe(40);
  });
});

describe("RecordRepository reads through the plaintext cache", () => {
  let dir: string;
  let index: SqliteIndex;
  let keys: FileKeyStore;
  let blobs: MemoryBlobStore;
  let records: RecordRepository;
  let gets = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "records-cache-"));
    index = new SqliteIndex({ path: ":memory:" });
    keys = await FileKeyStore.open({ dir });
    blobs = new MemoryBlobStore();
    const get = blobs.get.bind(blobs);
    gets = 0;
    blobs.get = (cid: string) => {
      gets++;
      return get(cid);
    };
    records = new RecordRepository({
      index,
      blobs,
      keys,
      compartmentOf: (r) =>
        r.resourceType === "Patient"
          ? `Patient/${r.id}`
          : ((r as { subject?: { reference?: string } }).subject?.reference ?? null),
    });
  });
  afterEach(async () => {
    index.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("decrypts a version once, serves later reads from the cache, and a new version anew", async () => {
    await records.write("Patient", "p", { resourceType: "Patient", gender: "male" });
    const first = await records.read("Patient", "p");
    const before = gets;
    const again = await records.read("Patient", "p");
    expect(gets).toBe(before);
    expect(again.text).toBe(first.text);
    await records.write("Patient", "p", { resourceType: "Patient", gender: "female" });
    expect((await records.read("Patient", "p")).resource?.gender).toBe("female");
    // a fresh check ($verify) leaves the cache as it was: the next read asks the store
    await records.write("Patient", "p", { resourceType: "Patient", gender: "other" });
    const third = (await index.currentVersion("Patient", "p"))!;
    expect((await records.check(third, { fresh: true })).ok).toBe(true);
    const beforeRead = gets;
    await records.read("Patient", "p");
    expect(gets).toBe(beforeRead + 1);
  });

  it("holds nothing of an erased patient: a read after the erasure is refused, and $verify asks the stores", async () => {
    await records.write("Patient", "p", { resourceType: "Patient", gender: "male" });
    await records.write("Observation", "o", {
      resourceType: "Observation",
      status: "final",
      code: { text: "x" },
      subject: { reference: "Patient/p" },
    });
    await records.read("Observation", "o");
    const version = (await index.currentVersion("Observation", "o"))!;
    // a blob gone behind the server's back: a read may still be served from the cache, a check asks again
    await blobs.delete(version.cid!);
    expect((await records.check(version)).ok).toBe(true);
    expect(await records.check(version, { fresh: true })).toMatchObject({ ok: false, reason: "blob missing" });
    await records.eraseCompartment("Patient/p", async () => ({ resources: [] }));
    await expect(records.read("Observation", "o")).rejects.toThrow();
    // the version row is gone too; the cached plaintext of its CID must be as well
    expect((await records.check(version)).ok).toBe(false);
  });
});
