import type { Actor } from "../auth/Actor.ts";
import { newResourceId } from "../fhir/resource/meta.ts";
import type { FhirResource, RecordRepository } from "../records/RecordRepository.ts";
import type { AuditJournal } from "./AuditJournal.ts";
import type { AuditMaterialiser } from "./AuditMaterialiser.ts";
import type { AuditEventJson } from "./balp/balpEvent.ts";
import { erasureEvent, integrityFailureEvent, operationEvent } from "./balp/systemEvents.ts";

/** One audited happening, in the terms of an R4 AuditEvent (the callers that predate BALP use it). */
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
  requestId?: string;
}

/**
 * Where AuditEvents go. With a journal (the server): appended durably (AuditJournal), then
 * materialised into AuditEvent resources in the background (AuditMaterialiser); `flush` makes
 * every event appended so far searchable. Without one (unit tests, tools): each event is
 * written straight through the records pipeline. Either way they are encrypted, anchored and
 * kept out of patient compartments (shared key), so an erasure's own audit record is not
 * shredded with the patient.
 * @see https://hl7.org/fhir/R4/auditevent.html
 */
export class AuditTrail {
  readonly #records: RecordRepository | undefined;
  readonly #journal: { journal: AuditJournal; materialiser: AuditMaterialiser } | undefined;
  readonly #now: () => Date;
  /**
   * False when per-request auditing is switched off (FHIRLEDGER_AUDIT=off, for the benchmark
   * only); `record` (erasures, integrity failures) writes whatever this says.
   */
  readonly enabled: boolean;

  constructor(
    target: RecordRepository | { journal: AuditJournal; materialiser: AuditMaterialiser },
    now: () => Date = () => new Date(),
    options: { enabled?: boolean } = {},
  ) {
    if ("journal" in target) this.#journal = target;
    else this.#records = target;
    this.#now = now;
    this.enabled = options.enabled ?? true;
  }

  /** Records `events`; resolves with their AuditEvent ids once they are durable. */
  async append(events: readonly AuditEventJson[]): Promise<string[]> {
    if (!this.enabled) return [];
    return this.#write(events);
  }

  async #write(events: readonly AuditEventJson[]): Promise<string[]> {
    if (events.length === 0) return [];
    if (this.#journal !== undefined) {
      const ids = await this.#journal.journal.append(events);
      this.#journal.materialiser.schedule();
      return ids;
    }
    const ids = events.map(() => newResourceId());
    await this.#records!.writeAll(
      events.map((event, i) => ({
        kind: "write" as const,
        type: "AuditEvent",
        id: ids[i]!,
        resource: event as unknown as FhirResource,
        mustNotExist: true,
        compartment: null,
      })),
    );
    return ids;
  }

  /** Makes every event appended so far a stored AuditEvent (before AuditEvents are searched or read). */
  async flush(): Promise<void> {
    await this.#journal?.materialiser.drain();
  }

  /** Records one happening (erasure, integrity failure, another operation); resolves with its AuditEvent id. */
  async record(entry: AuditRecord): Promise<string> {
    const party = {
      actor: entry.actor,
      recorded: this.#now(),
      ...(entry.requestId ? { requestId: entry.requestId } : {}),
    };
    const desc = entry.description ? { outcomeDesc: entry.description } : {};
    const what = entry.entity ? { what: entry.entity } : {};
    const event =
      entry.subtype === "erase"
        ? erasureEvent({ ...party, ...what, ...desc, outcome: entry.outcome })
        : entry.outcome === "8" && entry.action === "R"
          ? integrityFailureEvent({ ...party, ...what, ...desc, interaction: entry.subtype })
          : operationEvent({ ...party, ...what, ...desc, interaction: entry.subtype, outcome: entry.outcome });
    // Erasures and integrity failures are recorded even with per-request audit off (the benchmark).
    const [id] = await this.#write([event]);
    return id!;
  }
}
