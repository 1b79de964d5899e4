import type { Context } from "hono";
import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { FhirInteractions, FhirResult } from "../../fhir/FhirInteractions.ts";
import type { FhirValidator } from "../../fhir/validation/createValidator.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository } from "../../records/RecordRepository.ts";
import type { Env } from "../createApp.ts";

/** Services wired in startServer for feature routes (optional so tests can leave them out). */
export interface FeatureServices {
  records?: RecordRepository;
  index?: Index;
  validator?: FhirValidator;
  audit?: AuditTrail;
  /** Largest number of entries a batch or transaction Bundle may carry. */
  maxBundleEntries?: number;
}

/** What a feature's routes get from the HTTP edge: the one response path and body reader. */
export interface RouteContext extends FeatureServices {
  fhir: FhirInteractions;
  baseUrl: () => string;
  /** Turns an interaction result into the response (ETag, Location, Prefer, _pretty). */
  send: (c: Context<Env>, result: FhirResult) => Response;
  /** Reads the body as JSON within the size limit; clear 400s for bad JSON. */
  readJson: (c: Context<Env>) => Promise<unknown>;
  /** True under `Prefer: handling=strict`. */
  strict: (c: Context<Env>) => boolean;
}
