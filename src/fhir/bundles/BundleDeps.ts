import type { Actor } from "../../auth/Actor.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { InteractionHook } from "../engine/InteractionHook.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import type { ResponseBudget } from "../responseBudget.ts";
import type { FhirValidator } from "../validation/createValidator.ts";

/**
 * `Prefer: return=…` for the write entries: minimal (the default) answers status, location and
 * version; representation adds the stored resource; OperationOutcome adds an outcome about the write.
 * @see https://hl7.org/fhir/R4/http.html#ops
 */
export type PreferReturn = "minimal" | "representation" | "OperationOutcome";

/** What bundle processing needs; `actor` is the caller, for the GET entries. */
export interface BundleDeps {
  fhir: FhirInteractions;
  records: RecordRepository;
  index: Index;
  validator: FhirValidator;
  baseUrl: string;
  actor: Actor;
  /** `Prefer: return=…` for the write entries (default minimal). */
  preferReturn?: PreferReturn;
  maxEntries?: number;
  /** Most resources one conditional delete entry may remove (default MAX_BUNDLE_ENTRIES); more matches are a 412. */
  maxDeletes?: number;
  /**
   * SHA-256 (hex) of the request body as sent, asked only for a transaction with an idempotency
   * key; without it the key's content hash is taken over the canonical JSON of the parsed body,
   * which for a pack of thousands of resources costs the main thread far more.
   */
  requestHash?: () => string;
  /** Told of every entry, with `actor`, before any entry runs (default: every entry allowed). */
  hook?: InteractionHook;
  /** What the GET entries may still add to the response Bundle (processBundle sets one per Bundle). */
  budget?: ResponseBudget;
}
