import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../adapters/blob/MemoryBlobStore.ts";
import { sqliteSearchIndexer } from "../../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../../adapters/keys/FileKeyStore.ts";
import { AuditTrail } from "../../audit/AuditTrail.ts";
import { RecordRepository } from "../../records/RecordRepository.ts";
import { FhirInteractions } from "../FhirInteractions.ts";
import { createValidator } from "../validation/createValidator.ts";
import type { ConditionalDeps } from "./ConditionalDeps.ts";
import { conditionalDelete } from "./conditionalDelete.ts";

describe("conditionalDelete (multiple)", () => {
  const validator = createValidator();
  let dir: string;
  let keys: FileKeyStore;
  let index: SqliteIndex;
  let records: RecordRepository;
  let deps: ConditionalDeps;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "conditional-delete-"));
    keys = await FileKeyStore.open({ dir });
  });
  afterAll(async () => {
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    index?.close();
    index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
    records = new RecordRepository({ index, blobs: new MemoryBlobStore(), keys, compartmentOf: () => null });
    const fhir = new FhirInteractions({
      records,
      validator,
      index,
      audit: new AuditTrail(records),
    });
    deps = { fhir, index, records, validator, actor: { id: "test", role: "system", scopes: ["system/*.*"] } };
  });

  /** `n` Patients with identifier urn:test|<value>, ids `<prefix>0`, `<prefix>1`, …, written in one go. */
  const patients = async (prefix: string, value: string, n: number) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    await records.writeAll(
      ids.map((id) => ({
        kind: "write" as const,
        type: "Patient",
        id,
        resource: { resourceType: "Patient", identifier: [{ system: "urn:test", value }] },
      })),
    );
    return ids;
  };
  const state = async (id: string) => {
    const row = await index.current("Patient", id);
    return row === null ? "absent" : row.deleted ? "deleted" : `live v${row.versionId}`;
  };

  it("deletes every match in one write and leaves the others alone", async () => {
    const matched = await patients("m", "1", 3);
    const others = await patients("o", "2", 2);
    const result = await conditionalDelete(deps, "Patient", "identifier=urn:test|1");
    expect(result.status).toBe(200);
    expect(JSON.stringify(result.resource)).toContain("deleted 3 Patient resources");
    expect(await Promise.all(matched.map(state))).toEqual(["deleted", "deleted", "deleted"]);
    expect(await Promise.all(others.map(state))).toEqual(["live v1", "live v1"]);
    await expect(records.read("Patient", "m0")).rejects.toMatchObject({ code: "gone" });
  });

  it("answers one match like a plain delete, and no match with an informational 200", async () => {
    await patients("one", "solo", 1);
    const single = await conditionalDelete(deps, "Patient", "identifier=urn:test|solo");
    expect(single).toMatchObject({ status: 204, version: { type: "Patient", id: "one0", versionId: 2 } });
    const none = await conditionalDelete(deps, "Patient", "identifier=urn:test|solo");
    expect(none.status).toBe(200);
    expect(none.resource).toMatchObject({ resourceType: "OperationOutcome", issue: [{ severity: "information" }] });
  });

  it("refuses more matches than the cap with a 412 and deletes none", async () => {
    const matched = await patients("c", "1", 3);
    await expect(
      conditionalDelete({ ...deps, maxDeletes: 2 }, "Patient", "identifier=urn:test|1"),
    ).rejects.toMatchObject({ code: "precondition-failed", message: expect.stringContaining("more than 2") });
    expect(await Promise.all(matched.map(state))).toEqual(["live v1", "live v1", "live v1"]);
    expect((await conditionalDelete({ ...deps, maxDeletes: 3 }, "Patient", "identifier=urn:test|1")).status).toBe(200);
    expect(await Promise.all(matched.map(state))).toEqual(["deleted", "deleted", "deleted"]);
  });

  it("counts matches beyond one index page (1000 rows), so a cap of a page is not fooled", async () => {
    const matched = await patients("p", "many", 1001);
    await expect(
      conditionalDelete({ ...deps, maxDeletes: 1000 }, "Patient", "identifier=urn:test|many"),
    ).rejects.toMatchObject({ code: "precondition-failed" });
    expect((await Promise.all(matched.map(state))).filter((s) => s !== "live v1")).toEqual([]);
    const result = await conditionalDelete(deps, "Patient", "identifier=urn:test|many");
    expect(JSON.stringify(result.resource)).toContain("deleted 1001");
    expect((await Promise.all(matched.map(state))).filter((s) => s !== "deleted")).toEqual([]);
  }, 60_000);

  it("keeps refusing criteria that would match everything", async () => {
    await expect(conditionalDelete(deps, "Patient", "")).rejects.toMatchObject({ code: "invalid" });
    await expect(conditionalDelete(deps, "Patient", "_count=5&identifier=urn:test|1")).rejects.toMatchObject({
      code: "invalid",
    });
  });
});
