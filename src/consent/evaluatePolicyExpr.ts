import { extractSearchValues, type SearchRow } from "../fhir/search/extractSearchValues.ts";
import { matchesFilters } from "../policy/matchesFilters.ts";
import type { PolicyExpr } from "../ports/SearchRequest.ts";

/**
 * A PolicyExpr on one resource, with the meaning the SQL gives it (gateCondition): the row's
 * compartment is the one the index keeps for it; filters read the resource's search values
 * as the index extracts them (matchesFilters); `refersTo`, its reference search values.
 */
export function evaluatePolicyExpr(
  expr: PolicyExpr,
  resource: { resourceType: string; id?: unknown },
  compartment: string | null,
): boolean {
  let rows: SearchRow[] | undefined;
  const rowsOf = () => {
    rows ??= extractSearchValues(resource);
    return rows;
  };
  const self = `${resource.resourceType}/${String(resource.id)}`;
  const ev = (e: PolicyExpr): boolean => {
    switch (e.kind) {
      case "true":
        return true;
      case "false":
        return false;
      case "and":
        return e.of.every(ev);
      case "or":
        return e.of.some(ev);
      case "not":
        return !ev(e.of);
      case "noCompartment":
        return compartment === null;
      case "compartmentIn":
        return compartment !== null && setOf(e.compartments).has(compartment);
      case "typeIn":
        return e.types.includes(resource.resourceType);
      case "idIn":
        return typeof resource.id === "string" && e.refs.includes(self);
      case "filter":
        return e.type === resource.resourceType && matchesFilters(resource, [e.filter], rowsOf);
      case "refersTo":
        return rowsOf().some(
          (r) =>
            r.kind === "reference" &&
            r.grp === 0 &&
            r.targetType !== null &&
            r.targetId !== null &&
            e.refs.includes(`${r.targetType}/${r.targetId}`),
        );
    }
  };
  return ev(expr);
}

const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** A long compartment list (every patient permitting the caller) is looked up, not scanned. */
function setOf(list: readonly string[]): ReadonlySet<string> {
  let set = sets.get(list);
  if (set === undefined) {
    set = new Set(list);
    sets.set(list, set);
  }
  return set;
}
