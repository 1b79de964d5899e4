import type { PolicyRule, SearchPolicy } from "../ports/SearchRequest.ts";
import { patientCompartmentTypes } from "./compartmentTypes.ts";
import type { EffectiveGrant } from "./effectiveGrants.ts";

/**
 * The search policy of grants holding `letter`: one rule per grant, a confined grant split into
 * its compartment types (confined) and the others (not). Undefined when some grant admits every
 * resource of every type: the query then carries no policy at all.
 */
export function searchPolicyFor(grants: readonly EffectiveGrant[], letter: string): SearchPolicy | undefined {
  const rules: PolicyRule[] = [];
  const compartment = [...patientCompartmentTypes()];
  for (const g of grants) {
    if (!g.letters.includes(letter)) continue;
    const filters = g.filters ?? [];
    const except = g.type === "*" ? (g.except ?? []) : [];
    if (g.confine === undefined) {
      if (g.type !== "*") rules.push({ types: [g.type], filters });
      else rules.push({ types: "*", ...(except.length > 0 ? { exceptTypes: [...except] } : {}), filters });
    } else if (g.type === "*") {
      rules.push({ types: compartment.filter((t) => !except.includes(t)), confine: g.confine, filters });
      rules.push({ types: "*", exceptTypes: [...compartment, ...except], filters });
    } else {
      const confined = patientCompartmentTypes().has(g.type);
      rules.push({ types: [g.type], ...(confined ? { confine: g.confine } : {}), filters });
    }
  }
  // Only a grant of every resource of every type needs no policy: even when the types searched
  // are open, what their includes, chains and _has reach may not be.
  if (
    rules.some(
      (r) => r.types === "*" && r.exceptTypes === undefined && r.confine === undefined && r.filters.length === 0,
    )
  )
    return undefined;
  return { rules };
}
