import type { Actor } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { AccessGuard, AccessLetter } from "../fhir/engine/AccessGuard.ts";
import { patientCompartmentTypes } from "./compartmentTypes.ts";
import { decideInteraction } from "./decideInteraction.ts";
import { effectiveGrants } from "./effectiveGrants.ts";
import { grantCovers } from "./grantCovers.ts";
import { matchesFilters } from "./matchesFilters.ts";
import { searchPolicyFor } from "./searchPolicyFor.ts";

/**
 * SMART authorization for the FHIR engine (FhirEngineOptions.access): the decision scopes ∩
 * role per interaction (decideInteraction), the search policy compiled into every query, and
 * the per-resource check of reads, history, writes and operations.
 */
export function smartAccess(): AccessGuard {
  return {
    check: decideInteraction,
    searchPolicy(actor, types, letter) {
      const grants = effectiveGrants(actor);
      if (types !== "*")
        for (const type of types)
          if (!grants.some((g) => grantCovers(g, type, letter)))
            throw new FhirLedgerError("forbidden", `insufficient scope: ${type}.${letter} is not granted`, {
              issues: [{ type: "forbidden", diagnostics: `insufficient scope: ${type}.${letter} is not granted` }],
            });
      return searchPolicyFor(grants, letter);
    },
    permits(actor, letter, resource, compartment) {
      const type = resource.resourceType;
      return effectiveGrants(actor).some(
        (g) =>
          grantCovers(g, type, letter) &&
          (g.confine === undefined || !patientCompartmentTypes().has(type) || g.confine === compartment) &&
          (g.filters === undefined || matchesFilters(resource, g.filters)),
      );
    },
    unrestricted(actor: Actor, type: string, letter: AccessLetter) {
      return effectiveGrants(actor).some(
        (g) =>
          grantCovers(g, type, letter) &&
          g.filters === undefined &&
          (g.confine === undefined || !patientCompartmentTypes().has(type)),
      );
    },
  };
}
