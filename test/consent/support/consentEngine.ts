import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBlobStore } from "../../../src/adapters/blob/MemoryBlobStore.ts";
import { sqliteSearchIndexer } from "../../../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../../src/adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../../../src/adapters/keys/FileKeyStore.ts";
import { MemoryLedger } from "../../../src/adapters/ledger/MemoryLedger.ts";
import { AuditTrail } from "../../../src/audit/AuditTrail.ts";
import type { Actor } from "../../../src/auth/Actor.ts";
import type { AccessGuard } from "../../../src/fhir/engine/AccessGuard.ts";
import { FhirEngine } from "../../../src/fhir/engine/FhirEngine.ts";
import type { FhirRequest } from "../../../src/fhir/engine/FhirRequest.ts";
import { compartmentOf, patientNamesOf } from "../../../src/fhir/resource/compartmentOf.ts";
import { createValidator } from "../../../src/fhir/validation/createValidator.ts";
import type { FhirResource } from "../../../src/records/RecordRepository.ts";
import { RecordRepository } from "../../../src/records/RecordRepository.ts";

/** An engine over a real SQLite index (in memory), in-memory blobs and ledger, under a given access guard. */
export interface ProofEngine {
  engine: FhirEngine;
  index: SqliteIndex;
  records: RecordRepository;
  put(resources: readonly FhirResource[]): Promise<void>;
  call(actor: Actor, method: string, path: string, extra?: Partial<FhirRequest>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  resource?: Record<string, unknown>;
  error?: { code: string; message: string };
}

const validator = createValidator();

const STATUS: Record<string, number> = {
  invalid: 400,
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  gone: 410,
  "precondition-failed": 412,
  conflict: 409,
  "method-not-allowed": 405,
  unprocessable: 422,
};

/** What a guard may read the store through (consent's `dependents` lookup). */
export interface StoreDeps {
  records: RecordRepository;
  index: SqliteIndex;
}

export async function proofEngine(access: (deps: StoreDeps) => AccessGuard): Promise<ProofEngine> {
  const dir = await mkdtemp(join(tmpdir(), "consent-proof-"));
  const keys = await FileKeyStore.open({ dir });
  const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
  const records = new RecordRepository({
    index,
    blobs: new MemoryBlobStore(),
    keys,
    compartmentOf: (r) => compartmentOf(r),
    compartmentsOf: (r) => patientNamesOf(r),
  });
  const engine = new FhirEngine({
    records,
    validator,
    index,
    ledger: new MemoryLedger(),
    audit: new AuditTrail(records),
    capabilityStatement: () => ({ resourceType: "CapabilityStatement" }),
    access: access({ records, index }),
  });
  return {
    engine,
    index,
    records,
    put: async (resources) => {
      await records.writeAll(
        resources.map((resource) => ({
          kind: "write" as const,
          type: resource.resourceType,
          id: String(resource.id),
          resource,
        })),
      );
    },
    call: async (actor, method, path, extra = {}) => {
      const [pathname = "", rawQuery = ""] = path.split("?");
      const request: FhirRequest = {
        method,
        path: pathname === "" ? [] : pathname.split("/"),
        query: new URLSearchParams(rawQuery),
        rawQuery,
        headers: {},
        baseUrl: "http://fhir.test",
        ...extra,
      };
      try {
        const response = await engine.handle(actor, request);
        const resource = response.resource ?? (response.text === undefined ? undefined : JSON.parse(response.text));
        return { status: response.status, ...(resource ? { resource } : {}) };
      } catch (error) {
        const e = error as { code?: string; message: string };
        return { status: STATUS[e.code ?? ""] ?? 500, error: { code: e.code ?? "internal", message: e.message } };
      }
    },
    close: async () => {
      await index.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
