import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { RecordRepository } from "./RecordRepository.ts";

describe("RecordRepository.writeAll", () => {
  let dir: string;
  let index: SqliteIndex;
  let keys: FileKeyStore;
  let records: RecordRepository;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "records-"));
    index = new SqliteIndex({ path: ":memory:" });
    keys = await FileKeyStore.open({ dir });
    records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) => (r.resourceType === "Patient" ? `Patient/${r.id}` : null),
    });
  });
  afterEach(async () => {
    index.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("commits every operation of a transaction, later ones seeing earlier ones", async () => {
    const results = await records.writeAll([
      { kind: "write", type: "Patient", id: "p1", resource: { resourceType: "Patient", gender: "male" } },
      { kind: "write", type: "Patient", id: "p1", resource: { resourceType: "Patient", gender: "female" } },
      { kind: "write", type: "Basic", id: "b1", resource: { resourceType: "Basic", code: { text: "x" } } },
      { kind: "delete", type: "Basic", id: "b1" },
      { kind: "delete", type: "Basic", id: "absent" },
    ]);
    expect(results.map((r) => r?.row.versionId ?? null)).toEqual([1, 2, 1, 2, null]);
    expect((await records.read("Patient", "p1")).resource?.gender).toBe("female");
    await expect(records.read("Basic", "b1")).rejects.toMatchObject({ code: "gone" });
    expect((await index.stats()).versions).toBe(4);
  });

  it("commits nothing when any operation fails", async () => {
    await records.write("Patient", "p1", { resourceType: "Patient" });
    await expect(
      records.writeAll([
        { kind: "write", type: "Patient", id: "p2", resource: { resourceType: "Patient" } },
        { kind: "write", type: "Patient", id: "p1", resource: { resourceType: "Patient" }, ifMatch: 7 },
      ]),
    ).rejects.toMatchObject({ code: "precondition-failed" });
    await expect(
      records.writeAll([
        { kind: "write", type: "Patient", id: "p3", resource: { resourceType: "Patient" } },
        { kind: "write", type: "Patient", id: "p1", resource: { resourceType: "Patient" }, mustNotExist: true },
      ]),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await index.current("Patient", "p2")).toBeNull();
    expect(await index.current("Patient", "p3")).toBeNull();
    expect((await index.stats()).versions).toBe(1);
    expect((await index.stats()).pendingLeaves).toBe(1);
  });

  it("encrypts new versions under the patient's newest data key; older versions stay readable", async () => {
    const v1 = await records.write("Patient", "pk", { resourceType: "Patient", gender: "male" });
    const rotated = await keys.rotateDataKey("Patient/pk");
    const v2 = await records.write("Patient", "pk", { resourceType: "Patient", gender: "female" });
    expect(v1.row.keyId).not.toBe(rotated.keyId);
    expect(v2.row.keyId).toBe(rotated.keyId);
    expect((await records.vread("Patient", "pk", 1)).resource?.gender).toBe("male");
    expect((await records.read("Patient", "pk")).resource?.gender).toBe("female");
  });

  it("serves a read's stored text as it is and parses it once, on first use, from a shared getter", async () => {
    await records.write("Patient", "lazy", { resourceType: "Patient", gender: "other" });
    const read = await records.read("Patient", "lazy");
    expect(JSON.parse(read.text!)).toMatchObject({ resourceType: "Patient", id: "lazy", gender: "other" });
    expect(read.resource).toBe(read.resource);
    expect(read.resource?.gender).toBe("other");
    // No own accessor: an object literal with a getter is a dictionary-mode object whose closure
    // kept every read's text alive through young-generation collections (GET-by-id p99).
    expect(Object.getOwnPropertyDescriptor(read, "resource")).toBeUndefined();
  });

  it("serialises concurrent writers of the same resource (no lost update)", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        records.write("Basic", "hot", { resourceType: "Basic", code: { text: String(i) } }),
      ),
    );
    expect((await index.current("Basic", "hot"))?.versionId).toBe(20);
  });
});
