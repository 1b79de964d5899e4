import type { Actor } from "../../auth/Actor.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";

/** What bundle processing needs; `actor` is the caller, for the GET entries. */
export interface BundleDeps {
  fhir: FhirInteractions;
  records: RecordRepository;
  index: Index;
  validator: FhirValidator;
  baseUrl: string;
  actor: Actor;
  /** `Prefer: return=representation`: write responses carry the stored resource. */
  returnRepresentation?: boolean;
  maxEntries?: number;
  /** Most resources one conditional delete entry may remove (default MAX_BUNDLE_ENTRIES); more matches are a 412. */
  maxDeletes?: number;
}
