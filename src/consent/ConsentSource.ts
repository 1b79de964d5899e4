import type { Actor } from "../auth/Actor.ts";

/** Who is asking, as consent provisions match it (consent-spec: "Matching one provision"). */
export interface AccessorContext {
  fhirUser?: string;
  /** PractitionerRole/…, Organization/… and CareTeam/… references the accessor belongs to. */
  memberships: readonly string[];
  /** v3 ActReason code of the request's purpose of use (TREAT unless said otherwise). */
  purpose: string;
}

/** The Consents that may decide an actor's access, and what they match the actor by. */
export interface ConsentSource {
  consentsFor(
    actor: Actor,
  ): Promise<{ consents: readonly Record<string, unknown>[]; accessor: AccessorContext; version: number }>;
}
