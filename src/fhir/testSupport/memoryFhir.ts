import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBlobStore } from "../../adapters/blob/MemoryBlobStore.ts";
import { sqliteSearchIndexer } from "../../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../../adapters/keys/FileKeyStore.ts";
import { MemoryLedger } from "../../adapters/ledger/MemoryLedger.ts";
import { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResource } from "../../records/RecordRepository.ts";
import type { BundleDeps } from "../bundles/BundleDeps.ts";
import { FhirEngine } from "../engine/FhirEngine.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import { createValidator } from "../validation/createValidator.ts";
import type { FhirValidator } from "../validation/createValidator.ts";

/** The FHIR engine over in-memory adapters (a real SQLite index in memory, a temporary key store). */
export interface MemoryFhir {
  index: SqliteIndex;
  records: RecordRepository;
  fhir: FhirInteractions;
  /** The engine entry over the same services (its CapabilityStatement is a stub). */
  engine: FhirEngine;
  validator: FhirValidator;
  actor: Actor;
  /** What processBundle needs, with `overrides` on top. */
  bundleDeps(overrides?: Partial<BundleDeps>): BundleDeps;
  /** Stores resources (each with its id) as version 1, in one write. */
  put(...resources: FhirResource[]): Promise<void>;
  /** "live v2", "deleted" or "absent": what the index says of type/id now. */
  state(type: string, id: string): string;
  close(): Promise<void>;
}

const validator = createValidator();

/** A ready engine for unit tests of the interactions and bundles; `close` removes its files. */
export async function memoryFhir(): Promise<MemoryFhir> {
  const dir = await mkdtemp(join(tmpdir(), "memory-fhir-"));
  const keys = await FileKeyStore.open({ dir });
  const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
  const records = new RecordRepository({ index, blobs: new MemoryBlobStore(), keys, compartmentOf: () => null });
  const engine = new FhirEngine({
    records,
    validator,
    index,
    ledger: new MemoryLedger(),
    audit: new AuditTrail(records),
    capabilityStatement: () => ({ resourceType: "CapabilityStatement" }),
  });
  const fhir = engine.interactions;
  const actor: Actor = { id: "test", role: "system", scopes: ["system/*.*"] };
  return {
    index,
    records,
    fhir,
    engine,
    validator,
    actor,
    bundleDeps: (overrides = {}) => ({
      fhir,
      records,
      index,
      validator,
      actor,
      baseUrl: "http://fhir.test",
      ...overrides,
    }),
    put: async (...resources) => {
      await records.writeAll(
        resources.map((resource) => ({
          kind: "write" as const,
          type: resource.resourceType,
          id: String(resource.id),
          resource,
        })),
      );
    },
    state: (type, id) => {
      // read synchronously on the adapter's own connection: tests compare states inline
      const row = index.db.prepare("SELECT version, deleted FROM resources WHERE type = ? AND id = ?").get(type, id);
      return row === undefined ? "absent" : row.deleted ? "deleted" : `live v${String(row.version)}`;
    },
    close: async () => {
      index.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
