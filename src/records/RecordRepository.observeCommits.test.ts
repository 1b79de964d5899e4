import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { RecordRepository } from "./RecordRepository.ts";
import type { CommitEvent } from "./RecordRepository.ts";

describe("RecordRepository.observeCommits", () => {
  let dir: string;
  let index: SqliteIndex;
  let keys: FileKeyStore;
  let records: RecordRepository;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "records-observe-"));
    index = new SqliteIndex({ path: ":memory:" });
    keys = await FileKeyStore.open({ dir });
    records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) =>
        r.resourceType === "Patient"
          ? `Patient/${r.id}`
          : ((r as { patient?: { reference?: string } }).patient?.reference ?? null),
    });
  });
  afterEach(async () => {
    index.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("tells an observer of each committed write of its types before the write settles, with the stored version", async () => {
    const events: CommitEvent[] = [];
    records.observeCommits(["Consent"], (e) => events.push(e));
    const write = records.writeAll([
      { kind: "write", type: "Consent", id: "c1", resource: { resourceType: "Consent", status: "active" } },
      { kind: "write", type: "Basic", id: "b1", resource: { resourceType: "Basic" } },
    ]);
    expect(events).toEqual([]); // nothing before the commit
    await write;
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.kind).toBe("write");
    const changes = event!.kind === "write" ? event!.changes : [];
    expect(changes.map((c) => `${c.type}/${c.id}`)).toEqual(["Consent/c1"]); // Basic is not watched
    expect(changes[0]!.resource).toMatchObject({ status: "active", meta: { versionId: "1" } });

    await records.delete("Consent", "c1");
    expect(events.at(-1)).toEqual({ kind: "write", changes: [{ type: "Consent", id: "c1", resource: null }] });
    await records.write("Basic", "b2", { resourceType: "Basic" });
    expect(events).toHaveLength(2);
  });

  it("tells nothing of a write that fails, nor after the observer is removed", async () => {
    const events: CommitEvent[] = [];
    const stop = records.observeCommits(["Consent"], (e) => events.push(e));
    await records.write("Consent", "c1", { resourceType: "Consent" });
    await expect(records.write("Consent", "c1", { resourceType: "Consent" }, { ifMatch: 7 })).rejects.toMatchObject({
      code: "precondition-failed",
    });
    expect(events).toHaveLength(1);
    stop();
    await records.write("Consent", "c2", { resourceType: "Consent" });
    expect(events).toHaveLength(1);
  });

  it("a throwing observer does not turn a committed write into an error", async () => {
    records.observeCommits(["Consent"], () => {
      throw new Error("observer bug");
    });
    const stored = await records.write("Consent", "c1", { resourceType: "Consent" });
    expect(stored.created).toBe(true);
    expect((await records.read("Consent", "c1")).resource?.resourceType).toBe("Consent");
  });

  it("tells of an erasure with every resource it removed", async () => {
    const events: CommitEvent[] = [];
    records.observeCommits(["Consent"], (e) => events.push(e));
    await records.write("Patient", "p1", { resourceType: "Patient" });
    await records.write("Consent", "c1", { resourceType: "Consent", patient: { reference: "Patient/p1" } });
    events.length = 0;
    await records.eraseCompartment("Patient/p1", async () => ({ resources: [] }));
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.kind).toBe("erase");
    if (event.kind !== "erase") return;
    expect(event.compartment).toBe("Patient/p1");
    expect(event.resources.map((r) => `${r.type}/${r.id}`).sort()).toEqual(["Consent/c1", "Patient/p1"]);
  });
});
