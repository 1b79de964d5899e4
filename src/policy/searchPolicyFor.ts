import type { PolicyRule, SearchPolicy } from "../ports/SearchRequest.ts";
import { patientCompartmentTypes } from "./compartmentTypes.ts";
import type { EffectiveGrant } from "./effectiveGrants.ts";

/**
 * The search policy of grants holding `letter`: one rule per grant, a confined grant split into
 * its compartment types (confined) and the others (not). Undefined when some grant admits every
 * resource of every type in `types`: the query then carries no policy at all.
 */
export function searchPolicyFor(
  grants: readonly EffectiveGrant[],
  types: readonly string[] | "*",
  letter: string,
): SearchPolicy | undefined {
  const rules: PolicyRule[] = [];
  const compartment = [...patientCompartmentTypes()];
  for (const g of grants) {
    if (!g.letters.includes(letter)) continue;
    const filters = g.filters ?? [];
    if (g.confine === undefined) {
      rules.push({ types: g.type === "*" ? "*" : [g.type], filters });
    } else if (g.type === "*") {
      rules.push({ types: compartment, confine: g.confine, filters });
      rules.push({ types: "*", exceptTypes: compartment, filters });
    } else {
      const confined = patientCompartmentTypes().has(g.type);
      rules.push({ types: [g.type], ...(confined ? { confine: g.confine } : {}), filters });
    }
  }
  const open = (type: string) =>
    rules.some(
      (r) =>
        r.filters.length === 0 &&
        r.confine === undefined &&
        (r.types === "*" ? !(r.exceptTypes ?? []).includes(type) : r.types.includes(type)),
    );
  if (types === "*") {
    if (
      rules.some(
        (r) => r.types === "*" && r.exceptTypes === undefined && r.confine === undefined && r.filters.length === 0,
      )
    )
      return undefined;
  } else if (types.every(open)) return undefined;
  return { rules };
}
