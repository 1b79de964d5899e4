import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBlobStore } from "../../adapters/blob/MemoryBlobStore.ts";
import { sqliteSearchIndexer } from "../../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../../adapters/keys/FileKeyStore.ts";
import { MemoryLedger } from "../../adapters/ledger/MemoryLedger.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirEngine } from "../../fhir/engine/FhirEngine.ts";
import type { FhirRequest } from "../../fhir/engine/FhirRequest.ts";
import { compartmentOf, patientNamesOf } from "../../fhir/resource/compartmentOf.ts";
import { createValidator } from "../../fhir/validation/createValidator.ts";
import { toOperationOutcome } from "../../fhir/outcome/operationOutcome.ts";
import { smartAccess } from "../../policy/smartAccess.ts";
import { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResource } from "../../records/RecordRepository.ts";
import { AuditJournal } from "../AuditJournal.ts";
import { AuditMaterialiser } from "../AuditMaterialiser.ts";
import { AuditTrail } from "../AuditTrail.ts";
import type { AuditEventJson } from "../balp/balpEvent.ts";
import { RequestAuditor } from "../RequestAuditor.ts";

/** The engine under SMART access with the audit journal, as the server wires them, on in-memory blobs. */
export interface AuditedEngine {
  engine: FhirEngine;
  journal: AuditJournal;
  materialiser: AuditMaterialiser;
  auditor: RequestAuditor;
  records: RecordRepository;
  dir: string;
  put(...resources: FhirResource[]): Promise<void>;
  /** Answers `GET Observation?x=y` for `actor` with request id `requestId`; errors come back as their status. */
  call(
    actor: Actor,
    method: string,
    path: string,
    extra?: Partial<FhirRequest>,
  ): Promise<{ status: number; resource?: Record<string, unknown> }>;
  /** The events journalled (not yet materialised) with `requestId`. */
  journalled(requestId: string): Promise<AuditEventJson[]>;
  close(): Promise<void>;
}

const validator = createValidator();

export async function auditedEngine(): Promise<AuditedEngine> {
  const dir = await mkdtemp(join(tmpdir(), "audited-engine-"));
  const keys = await FileKeyStore.open({ dir: join(dir, "keys") });
  const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
  const records = new RecordRepository({
    index,
    blobs: new MemoryBlobStore(),
    keys,
    compartmentOf: (r) => compartmentOf(r),
    compartmentsOf: (r) => patientNamesOf(r),
  });
  const journal = await AuditJournal.open({ path: join(dir, "audit-journal.sqlite"), keys });
  // no background drain: the tests look at the journal, and drain when they search
  const materialiser = new AuditMaterialiser({ journal, records, index, delayMs: 3_600_000 });
  const audit = new AuditTrail({ journal, materialiser });
  const auditor = new RequestAuditor(audit);
  const engine = new FhirEngine({
    records,
    validator,
    index,
    ledger: new MemoryLedger(),
    audit,
    auditor,
    capabilityStatement: () => ({ resourceType: "CapabilityStatement" }),
    access: smartAccess(),
  });
  let n = 0;
  return {
    engine,
    journal,
    materialiser,
    auditor,
    records,
    dir,
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
        requestId: `req-${++n}`,
        ...extra,
      };
      try {
        const response = await engine.handle(actor, request);
        return { status: response.status, ...(response.resource ? { resource: response.resource } : {}) };
      } catch (error) {
        return { status: toOperationOutcome(error).status };
      }
    },
    journalled: async (requestId) => {
      const entries = await journal.read(0, 100_000);
      return entries.map((e) => e.event).filter((e) => requestIdOf(e) === requestId);
    },
    close: async () => {
      await materialiser.close();
      journal.close();
      await index.close();
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The X-Request-Id entity of an event. */
export function requestIdOf(event: Record<string, unknown>): string | undefined {
  const entities = (event.entity ?? []) as { type?: { code?: string }; what?: { identifier?: { value?: string } } }[];
  return entities.find((e) => e.type?.code === "XrequestId")?.what?.identifier?.value;
}

/** The "Patient/x" entities of an event. */
export function patientsOf(event: Record<string, unknown>): string[] {
  const entities = (event.entity ?? []) as { role?: { code?: string }; what?: { reference?: string } }[];
  return entities.filter((e) => e.role?.code === "1").map((e) => e.what!.reference!);
}
