import type { InteractionRoute } from "../engine/InteractionRoute.ts";

/** One operation: its definition, where it applies, and its routes in the interaction table. */
export interface FhirOperation {
  /** The code, without `$`. */
  code: string;
  /** The canonical URL the CapabilityStatement names (`#code` for a definition it contains). */
  definitionUrl: string;
  /**
   * This server's own OperationDefinition (a JSON file in fhir-profiles/), contained in the
   * CapabilityStatement and served at `GET /OperationDefinition/[id]`; absent when the
   * operation is one the FHIR specification defines.
   */
  definition?: Readonly<Record<string, unknown>> & { id: string };
  /** The resource types it is defined on (default: every type). */
  types?: readonly string[];
  routes: readonly InteractionRoute[];
}
