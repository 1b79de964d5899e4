import type { Actor } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { InteractionDescriptor } from "../fhir/engine/InteractionHook.ts";
import { effectiveGrants } from "./effectiveGrants.ts";
import { grantCovers } from "./grantCovers.ts";
import { requiredAccess } from "./requiredAccess.ts";

/**
 * The decision for one interaction before it runs: scopes ∩ role grant every letter it needs
 * on its type, or it is refused with a 403 that names the scope missing. Decided on the type
 * alone, before any data is touched, so the refusal never tells whether a resource exists;
 * which resources of a granted type are visible (patient compartment, granular constraints) is
 * decided in the query and on each resource (smartAccess). `$erase` is for administrators and
 * for system clients holding `d` on Patient only; `$break-glass` for practitioners who may read Patient.
 */
export function decideInteraction(actor: Actor, d: InteractionDescriptor): void {
  const needs = requiredAccess(d);
  const grants = effectiveGrants(actor);
  switch (needs.kind) {
    case "none":
      return;
    case "refuse":
      throw forbidden(needs.reason);
    case "erase":
      if (actor.role === "admin") return;
      if (actor.role === "system" && grants.some((g) => grantCovers(g, "Patient", "d"))) return;
      throw forbidden("$erase is for administrators and for system clients granted system/Patient.d");
    case "breakGlass":
      // emergency access to read: practitioners whose token may read patients at all
      if (actor.role === "practitioner" && grants.some((g) => grantCovers(g, "Patient", "r"))) return;
      throw forbidden("$break-glass is for practitioners granted read access to Patient");
    case "anyLetter":
      if (grants.some((g) => grantCovers(g, needs.type, g.letters))) return;
      throw forbidden(`no scope grants access to ${needs.type}`);
    case "letters":
      for (const letter of needs.letters) {
        const ok =
          needs.type === "any"
            ? grants.some((g) => g.letters.includes(letter))
            : grants.some((g) => grantCovers(g, needs.type, letter));
        if (!ok) throw forbidden(missing(actor, needs.type === "any" ? "*" : needs.type, letter));
      }
  }
}

function missing(actor: Actor, type: string, letter: string): string {
  const context = actor.role === "system" ? "system" : actor.role === "patient" ? "patient" : "user";
  if (actor.role === "admin" || actor.role === "anonymous")
    return `the ${actor.role} role grants no access to clinical data (${type}.${letter})`;
  if (actor.role === "auditor" && type !== "AuditEvent")
    return `auditors may read and search AuditEvent only (${type}.${letter})`;
  return `insufficient scope: ${context}/${type}.${letter} (or a scope including it) is required`;
}

function forbidden(message: string): FhirLedgerError {
  return new FhirLedgerError("forbidden", message, { issues: [{ type: "forbidden", diagnostics: message }] });
}
