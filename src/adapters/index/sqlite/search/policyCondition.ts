import type { SQLInputValue } from "node:sqlite";
import type { SearchPolicy } from "../../../../ports/SearchRequest.ts";
import type { SqlFragment } from "./compileSearch.ts";
import type { Ctx } from "./conditionParts.ts";
import { filterCondition } from "./filterConditions.ts";
import { gateCondition } from "./gateCondition.ts";

/**
 * The caller's access (SearchPolicy) as a condition on resource alias `a`: some rule admits the
 * row. `only`: the row is known to be of this type (a type-level search, a chain's target), so
 * rules for other types are left out and the type test with them. Written into the WHERE
 * clause of the matches, the count, the includes and chain/_has targets, so nothing the caller
 * may not see is matched, counted, included or filtered on. The policy's `gate` (consent) is
 * AND-ed with the rules.
 */
export function policyCondition(policy: SearchPolicy, a: string, ctx: Ctx, only?: string): SqlFragment {
  const rules = rulesCondition(policy, a, ctx, only);
  if (policy.gate === undefined || rules.sql === "0 = 1") return rules;
  const gate = gateCondition(policy.gate, { a }, ctx);
  if (rules.sql === "1 = 1") return gate;
  return { sql: `(${rules.sql} AND ${gate.sql})`, args: [...rules.args, ...gate.args] };
}

function rulesCondition(policy: SearchPolicy, a: string, ctx: Ctx, only?: string): SqlFragment {
  const parts: string[] = [];
  const args: SQLInputValue[] = [];
  for (const rule of policy.rules) {
    if (only !== undefined && !covers(rule, only)) continue;
    const terms: string[] = [];
    if (only === undefined && rule.types !== "*") {
      terms.push(`${a}.type IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(rule.types));
    }
    if (only === undefined && rule.exceptTypes !== undefined && rule.exceptTypes.length > 0) {
      terms.push(`${a}.type NOT IN (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(rule.exceptTypes));
    }
    if (rule.confine !== undefined) {
      terms.push(`${a}.compartment = ?`);
      args.push(rule.confine);
    }
    if (rule.filters.length > 0) {
      // The policy builder gives filters to one-type rules only.
      const type = rule.types === "*" ? only! : rule.types[0]!;
      for (const f of rule.filters) {
        const c = filterCondition(f, type, a, 0, ctx, "exists");
        terms.push(c.sql);
        args.push(...c.args);
      }
    }
    // A rule with no terms admits every row: nothing else matters.
    if (terms.length === 0) return { sql: "1 = 1", args: [] };
    parts.push(`(${terms.join(" AND ")})`);
  }
  if (parts.length === 0) return { sql: "0 = 1", args: [] };
  return { sql: `(${parts.join(" OR ")})`, args };
}

function covers(rule: SearchPolicy["rules"][number], type: string): boolean {
  if (rule.types === "*") return !(rule.exceptTypes ?? []).includes(type);
  return rule.types.includes(type);
}
