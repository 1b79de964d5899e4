import type { Actor } from "../auth/Actor.ts";
import { newResourceId } from "../fhir/resource/meta.ts";
import type { RecordRepository } from "../records/RecordRepository.ts";

/** One audited happening, in the terms of an R4 AuditEvent. */
export interface AuditRecord {
  /** C create, R read, U update, D delete, E execute */
  action: "C" | "R" | "U" | "D" | "E";
  /** RESTful interaction code (read, vread, ...) or operation name (erase). */
  subtype: string;
  /** 0 success, 4 minor failure, 8 serious failure, 12 major failure */
  outcome: "0" | "4" | "8" | "12";
  actor: Actor;
  /** The resource concerned, e.g. "Patient/123". */
  entity?: string;
  /** Free text without clinical content. */
  description?: string;
}

const INTERACTIONS = new Set([
  "read",
  "vread",
  "update",
  "patch",
  "delete",
  "history",
  "history-instance",
  "history-type",
  "history-system",
  "create",
  "search",
  "search-type",
  "search-system",
  "capabilities",
  "transaction",
  "batch",
  "operation",
]);

/**
 * Writes AuditEvents through the same records pipeline as everything else, so they are
 * encrypted and anchored too. They are kept out of patient compartments (shared key), so an
 * erasure's own audit record is not shredded with the patient.
 * @see https://hl7.org/fhir/R4/auditevent.html
 */
export class AuditTrail {
  readonly #records: RecordRepository;
  readonly #now: () => Date;

  constructor(records: RecordRepository, now: () => Date = () => new Date()) {
    this.#records = records;
    this.#now = now;
  }

  async record(entry: AuditRecord): Promise<string> {
    const id = newResourceId();
    const event = {
      resourceType: "AuditEvent",
      type: INTERACTIONS.has(entry.subtype)
        ? {
            system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
            code: "rest",
            display: "RESTful Operation",
          }
        : { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110112", display: "Query" },
      subtype: [
        INTERACTIONS.has(entry.subtype)
          ? { system: "http://hl7.org/fhir/restful-interaction", code: entry.subtype }
          : { system: "urn:fhirledger:operation", code: entry.subtype },
      ],
      action: entry.action,
      recorded: this.#now().toISOString(),
      outcome: entry.outcome,
      ...(entry.description ? { outcomeDesc: entry.description } : {}),
      agent: [
        {
          type: {
            coding: [
              {
                system: "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                code: "humanuser",
                display: "human user",
              },
            ],
          },
          who: { identifier: { system: "urn:fhirledger:actor", value: entry.actor.id } },
          requestor: true,
          role: [{ text: entry.actor.role }],
        },
      ],
      source: {
        observer: { display: "fhirledger" },
        type: [
          {
            system: "http://terminology.hl7.org/CodeSystem/security-source-type",
            code: "4",
            display: "Application Server",
          },
        ],
      },
      ...(entry.entity ? { entity: [{ what: { reference: entry.entity } }] } : {}),
    };
    await this.#records.write("AuditEvent", id, event, { mustNotExist: true, compartment: null });
    return id;
  }
}
