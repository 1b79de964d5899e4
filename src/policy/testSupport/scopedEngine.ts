import { randomBytes } from "node:crypto";
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
import { FhirEngine } from "../../fhir/engine/FhirEngine.ts";
import type { FhirRequest, FhirResponse } from "../../fhir/engine/FhirRequest.ts";
import { compartmentOf, patientNamesOf } from "../../fhir/resource/compartmentOf.ts";
import { createValidator } from "../../fhir/validation/createValidator.ts";
import { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResource } from "../../records/RecordRepository.ts";
import { smartAccess } from "../smartAccess.ts";
import type { AccessGuard } from "../../fhir/engine/AccessGuard.ts";

/** The FHIR engine with SMART access on in-memory adapters, and patient compartments kept as the server keeps them. */
export interface ScopedEngine {
  engine: FhirEngine;
  index: SqliteIndex;
  records: RecordRepository;
  put(...resources: FhirResource[]): Promise<void>;
  /** Answers a request (`GET Observation?x=y`) for `actor`; errors are returned as `{ status, error }`. */
  call(actor: Actor, method: string, path: string, extra?: Partial<FhirRequest>): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  resource?: Record<string, unknown>;
  /** The FhirLedgerError's code and message, for a refused or failed request. */
  error?: { code: string; message: string };
}

const validator = createValidator();

/**
 * A ready engine under smartAccess(); `close` removes its files. `readers`: the index in a file,
 * searched on a reader thread as the server searches it (the policy crosses to it as data).
 * `access`: the guard built over smartAccess() (consent on top of it, say).
 */
export async function scopedEngine(
  options: { readers?: boolean; access?: (smart: AccessGuard) => AccessGuard } = {},
): Promise<ScopedEngine> {
  const dir = await mkdtemp(join(tmpdir(), "scoped-engine-"));
  const keys = await FileKeyStore.open({ dir });
  const index = new SqliteIndex({
    path: options.readers ? join(dir, "index.sqlite") : ":memory:",
    search: sqliteSearchIndexer,
    ...(options.readers ? { readers: { count: 1, queryTimeoutMs: 30_000 }, searchKey: randomBytes(32) } : {}),
  });
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
    access: options.access?.(smartAccess()) ?? smartAccess(),
  });
  return {
    engine,
    index,
    records,
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
        const response: FhirResponse = await engine.handle(actor, request);
        return { status: response.status, ...(response.resource ? { resource: response.resource } : {}) };
      } catch (error) {
        const e = error as { code?: string; message: string };
        const status = STATUS[e.code ?? ""] ?? 500;
        return { status, error: { code: e.code ?? "internal", message: e.message } };
      }
    },
    close: async () => {
      await index.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

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

/** `type/id` of a searchset's entries, matches and includes apart. */
export function entriesOf(bundle: Record<string, unknown> | undefined): { match: string[]; include: string[] } {
  const out = { match: [] as string[], include: [] as string[] };
  for (const e of (bundle?.entry ?? []) as {
    resource?: { resourceType: string; id: string };
    search?: { mode: string };
  }[]) {
    if (e.resource === undefined || e.resource.resourceType === "OperationOutcome") continue;
    const key = `${e.resource.resourceType}/${e.resource.id}`;
    (e.search?.mode === "include" ? out.include : out.match).push(key);
  }
  out.match.sort();
  out.include.sort();
  return out;
}
