import type { Actor } from "../../../src/auth/Actor.ts";
import { SYS } from "./vocab.ts";

type Json = Record<string, unknown>;

/** The port consent-core reads consents through (src/consent/ConsentSource.ts), restated structurally. */
export interface ConsentSourceLike {
  consentsFor(actor: Actor): Promise<{
    consents: readonly Json[];
    accessor: { fhirUser?: string; memberships: readonly string[]; purpose: string };
    version: number;
  }>;
}

/**
 * A stand-in for the consent directory over a world held in memory: the active patient-privacy
 * Consents (period, patient and provisions are left to the core to judge), and the caller's
 * memberships as the directory resolves them. Purpose: `actor.purposeOfUse`, else TREAT.
 */
export function memorySource(world: () => readonly Json[]): ConsentSourceLike {
  // the version changes whenever the world does (a write replaces the array), as the
  // directory's changes on every committed Consent, PractitionerRole or CareTeam
  let seen: readonly Json[] | undefined;
  let version = 0;
  return {
    async consentsFor(actor) {
      const all = world();
      if (all !== seen) {
        seen = all;
        version++;
      }
      const me = actor.fhirUser;
      const memberships: string[] = [];
      if (me !== undefined)
        for (const r of all) {
          if (r.resourceType === "PractitionerRole" && (r.practitioner as Json | undefined)?.reference === me) {
            memberships.push(`PractitionerRole/${r.id}`);
            const org = (r.organization as Json | undefined)?.reference;
            if (r.active !== false && typeof org === "string" && !memberships.includes(org)) memberships.push(org);
          }
          if (
            r.resourceType === "CareTeam" &&
            (r.status === undefined || r.status === "active") &&
            ((r.participant ?? []) as { member?: { reference?: string } }[]).some((p) => p.member?.reference === me)
          )
            memberships.push(`CareTeam/${r.id}`);
        }
      const consents = all.filter(
        (c) =>
          c.resourceType === "Consent" &&
          c.status === "active" &&
          ((c.scope as Json | undefined)?.coding as Json[] | undefined)?.some(
            (x) => x.system === SYS.scope && x.code === "patient-privacy",
          ),
      );
      const purpose = (actor as Actor & { purposeOfUse?: string }).purposeOfUse ?? "TREAT";
      return { consents, accessor: { ...(me ? { fhirUser: me } : {}), memberships, purpose }, version };
    },
  };
}
