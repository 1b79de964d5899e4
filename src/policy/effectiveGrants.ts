import type { Actor } from "../auth/Actor.ts";
import { parseScopes } from "../auth/scopes/parseScopes.ts";
import type { ScopeContext } from "../auth/scopes/ScopeGrant.ts";
import type { SearchFilter } from "../ports/SearchRequest.ts";
import { parseSearchRequest } from "../fhir/search/parseSearchRequest.ts";
import { constraintFilters } from "./constraintFilters.ts";

/** One resource scope as it applies to one actor: scopes ∩ role. */
export interface EffectiveGrant {
  context: ScopeContext;
  /** A resource type, or "*". */
  type: string;
  letters: string;
  /** A granular constraint as search filters (all must match); absent: the whole type. */
  filters?: readonly SearchFilter[];
  /** "Patient/<id>": compartment types are confined to it (see patientCompartmentTypes). */
  confine?: string;
  /** Types a `*` grant does not cover (a practitioner's `user/*.rs` reaches no AuditEvent). */
  except?: readonly string[];
}

const NOT_FOR_PRACTITIONERS: readonly string[] = Object.freeze(["AuditEvent"]);

const memo = new Map<string, readonly EffectiveGrant[]>();
const MEMO_SIZE = 1000;
/** By actor object too: an authenticator that hands out one actor per token skips building the key. */
const byActor = new WeakMap<Actor, { key: string; grants: readonly EffectiveGrant[] }>();

/**
 * What an actor's scopes grant given its role (deny unless both allow):
 * - `system` (Backend Services, the development token): its `system/` scopes;
 * - `practitioner`: its `user/` scopes; its `patient/` scopes confined to the patient in context;
 *   never AuditEvent (who accessed which patient is the auditors' and each patient's own business);
 * - `patient`: its `user/` and `patient/` scopes, both confined to its own compartment, and
 *   read/search of the AuditEvents naming it as their patient (its access log: AuditEvents are
 *   kept outside compartments, so the confinement alone would show none);
 * - `auditor`: read and search of AuditEvent, as far as its `user/` or `system/` scopes grant them;
 * - `admin` and `anonymous`: nothing (administrators manage accounts, not clinical data).
 * A granular constraint this server cannot check on a stored resource (see constraintFilters)
 * grants nothing.
 */
export function effectiveGrants(actor: Actor): readonly EffectiveGrant[] {
  const cached = byActor.get(actor);
  // Frozen actors (the development token's) can't change under the cache; others are re-keyed.
  if (cached !== undefined && Object.isFrozen(actor) && Object.isFrozen(actor.scopes)) return cached.grants;
  const key = `${actor.role}\u0000${actor.patient ?? ""}\u0000${actor.scopes.join(" ")}`;
  if (cached !== undefined && cached.key === key) return cached.grants;
  let grants = memo.get(key);
  if (grants === undefined) {
    grants = Object.freeze(compute(actor));
    if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(key, grants);
  }
  byActor.set(actor, { key, grants });
  return grants;
}

function compute(actor: Actor): EffectiveGrant[] {
  const out: EffectiveGrant[] = [];
  const own = actor.patient === undefined ? undefined : `Patient/${actor.patient}`;
  for (const scope of parseScopes(actor.scopes.join(" ")).resources) {
    let confine: string | undefined;
    let type = scope.type;
    let letters = scope.letters;
    switch (actor.role) {
      case "system":
        if (scope.context !== "system") continue;
        break;
      case "practitioner":
        if (scope.context === "system" || type === "AuditEvent") continue;
        if (scope.context === "patient") {
          if (own === undefined) continue;
          confine = own;
        }
        break;
      case "patient":
        if (scope.context === "system" || own === undefined) continue;
        confine = own;
        break;
      case "auditor":
        if (scope.context === "patient" || (type !== "*" && type !== "AuditEvent")) continue;
        type = "AuditEvent";
        letters = letters.replace(/[cud]/g, "");
        if (letters === "") continue;
        break;
      default:
        continue;
    }
    if (actor.role === "patient" && own !== undefined && (type === "*" || type === "AuditEvent")) {
      const read = letters.replace(/[cud]/g, "");
      if (read !== "") out.push({ context: scope.context, type: "AuditEvent", letters: read, filters: auditOf(own) });
    }
    const except = actor.role === "practitioner" && type === "*" ? { except: NOT_FOR_PRACTITIONERS } : {};
    const grant: EffectiveGrant = { context: scope.context, type, letters, ...(confine ? { confine } : {}), ...except };
    if (scope.constraint === undefined) {
      out.push(grant);
      continue;
    }
    const filters = constraintFilters(type, scope.constraint);
    if (filters !== undefined) out.push({ ...grant, filters });
  }
  return out;
}

/** `AuditEvent?patient=<own>`: the AuditEvents a patient may read (its access log). */
function auditOf(own: string): readonly SearchFilter[] {
  return Object.freeze(parseSearchRequest("AuditEvent", [["patient", own]]).filters);
}
