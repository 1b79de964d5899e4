import { mkdtemp, readFile, rm } from "node:fs/promises";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { sqliteSearchIndexer } from "../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { compartmentOf, patientNamesOf } from "../fhir/resource/compartmentOf.ts";
import { RecordRepository } from "../records/RecordRepository.ts";
import { AuditJournal } from "./AuditJournal.ts";
import { AuditMaterialiser } from "./AuditMaterialiser.ts";
import { restAuditEvent } from "./balp/restEvents.ts";

const PATIENT = "Patient/secret-patient-4711";
const event = (n: number) =>
  restAuditEvent({
    kind: "read",
    interaction: "read",
    what: `Observation/obs-${n}`,
    patients: [PATIENT],
    outcome: "0",
    requestId: `req-${n}`,
    actor: { id: "dr", role: "practitioner", scopes: [], fhirUser: "Practitioner/dr-house" },
  });

describe("AuditJournal", () => {
  let dir: string;
  let keys: FileKeyStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-journal-"));
    keys = await FileKeyStore.open({ dir: join(dir, "keys") });
  });
  afterEach(async () => {
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("concurrent appends share one transaction, and each resolves after the commit with its ids", async () => {
    const journal = await AuditJournal.open({ path: join(dir, "audit-journal.sqlite"), keys });
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append([event(i), event(i + 100)])));
    expect(ids.flat()).toHaveLength(100);
    expect(new Set(ids.flat()).size).toBe(100);
    expect(journal.commits().transactions).toBe(1);
    expect(journal.pending()).toBe(100);
    journal.close();
  });

  it("keeps no patient id, user or request in clear in the file (0600), and reads them back decrypted", async () => {
    const path = join(dir, "audit-journal.sqlite");
    const journal = await AuditJournal.open({ path, keys });
    await journal.append([event(1), event(2)]);
    journal.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const bytes = Buffer.concat([await readFile(path), await readFile(`${path}-wal`).catch(() => Buffer.alloc(0))]);
    for (const secret of ["secret-patient-4711", "dr-house", "obs-1", "req-1"])
      expect(bytes.includes(secret)).toBe(false);
    const reopened = await AuditJournal.open({ path, keys });
    const entries = await reopened.read(0, 10);
    expect(entries.map((e) => e.event.entity)).toEqual([event(1).entity, event(2).entity]);
    reopened.close();
  });

  it("a tampered row is an integrity failure, not a silently different event", async () => {
    const path = join(dir, "audit-journal.sqlite");
    const journal = await AuditJournal.open({ path, keys });
    await journal.append([event(1)]);
    journal.close();
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec("UPDATE journal SET sealed = zeroblob(64)");
    db.close();
    const reopened = await AuditJournal.open({ path, keys });
    await expect(reopened.read(0, 10)).rejects.toMatchObject({ code: "integrity" });
    reopened.close();
  });

  it("the materialiser writes each entry once under its journal id, even when a crash left it half drained", async () => {
    const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
    const records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) => compartmentOf(r),
      compartmentsOf: (r) => patientNamesOf(r),
    });
    const journal = await AuditJournal.open({ path: join(dir, "audit-journal.sqlite"), keys });
    const ids = await journal.append([event(1), event(2), event(3)]);
    // a crash after the first event was written but before the journal forgot it
    const [first] = await journal.read(0, 1);
    await records.write("AuditEvent", first!.id, { ...first!.event, id: first!.id } as never, {
      mustNotExist: true,
      compartment: null,
    });
    const materialiser = new AuditMaterialiser({ journal, records, index, batch: 2 });
    await materialiser.drain();
    await materialiser.drain(); // nothing left: a second drain writes nothing
    expect(journal.pending()).toBe(0);
    for (const id of ids) {
      const row = await index.current("AuditEvent", id);
      expect(row?.versionId).toBe(1);
      expect(row?.compartment).toBeNull();
    }
    const stored = await records.read("AuditEvent", ids[1]!);
    expect(JSON.stringify(stored.resource)).toContain("req-2");
    await materialiser.close();
    journal.close();
    await index.close();
  });

  it("a drain (a flush before an AuditEvent search) takes what was journalled when it was asked, so it ends under any load", async () => {
    const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
    const records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) => compartmentOf(r),
      compartmentsOf: (r) => patientNamesOf(r),
    });
    const journal = await AuditJournal.open({ path: join(dir, "audit-journal.sqlite"), keys });
    const first = await journal.append([event(1), event(2), event(3)]);
    const materialiser = new AuditMaterialiser({ journal, records, index, batch: 1 });
    const drained = materialiser.drain();
    const later = await journal.append([event(4), event(5)]);
    await drained;
    for (const id of first) expect(await index.current("AuditEvent", id)).not.toBeNull();
    for (const id of later) expect(await index.current("AuditEvent", id)).toBeNull();
    expect(journal.pending()).toBe(2);
    await materialiser.close();
    expect(journal.pending()).toBe(0);
    journal.close();
    await index.close();
  });
});
