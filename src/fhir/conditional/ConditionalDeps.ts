import type { Actor } from "../../auth/Actor.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";

/** What the conditional interactions need: plain interactions for the writes, the index to match. */
export interface ConditionalDeps {
  fhir: FhirInteractions;
  index: Index;
  records: RecordRepository;
  validator: FhirValidator;
  /** Who asks: the writes run on their behalf. */
  actor: Actor;
  /** Most resources one conditional delete may remove (default MAX_BUNDLE_ENTRIES); more matches are a 412. */
  maxDeletes?: number;
}
