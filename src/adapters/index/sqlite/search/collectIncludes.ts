import type { DatabaseSync } from "node:sqlite";
import type { IncludeSpec, SearchPolicy, SearchRequest } from "../../../../ports/SearchRequest.ts";
import { compileInclude } from "./compileInclude.ts";
import type { Ctx } from "./conditionParts.ts";
import { DEFAULT_MAX_TERMS } from "./compileSearch.ts";
import { policyCondition } from "./policyCondition.ts";

export interface CollectedIncludes {
  /** rids added, in the order found; none twice, none of the page's own */
  rids: number[];
  /** `:iterate` stopped at the depth limit, or `maxIncludes` was reached, while more would have been added */
  truncated: boolean;
}

type Spec = readonly ["include" | "revinclude", IncludeSpec];

/**
 * What `_include` and `_revinclude` add to a page. The first round applies every spec to the
 * matches; each further round applies the `:iterate` specs to everything the round before
 * added, whichever spec added it, until a round adds nothing or `maxDepth` rounds have run.
 * At the limit one more round is looked at (not added) to tell the caller whether it cut
 * anything off. No more than `maxIncludes` rids are added (a `_revinclude` of a page of
 * patients could otherwise add every resource that refers to them); the rest are cut off.
 * @see https://hl7.org/fhir/R4/search.html#include
 */
export function collectIncludes(
  db: DatabaseSync,
  request: Pick<SearchRequest, "include" | "revinclude" | "policy">,
  pageRids: readonly number[],
  maxDepth: number,
  maxIncludes = 10_000,
): CollectedIncludes {
  const all: Spec[] = [
    ...request.include.map((s) => ["include", s] as const),
    ...request.revinclude.map((s) => ["revinclude", s] as const),
  ];
  const iterating = all.filter(([, s]) => s.iterate);
  const seen = new Set(pageRids);
  const rids: number[] = [];
  let specs = all;
  let sources = pageRids;
  for (let round = 1; sources.length > 0 && specs.length > 0; round++) {
    const found = includeRound(db, specs, sources, seen, maxIncludes - rids.length + 1, request.policy);
    if (round > maxDepth) return { rids, truncated: found.length > 0 };
    for (const rid of found) {
      if (rids.length === maxIncludes) return { rids, truncated: true };
      seen.add(rid);
      rids.push(rid);
    }
    specs = iterating;
    sources = found;
  }
  return { rids, truncated: false };
}

/** Rids the specs reach from `sources` that are not in `seen`, each once; at most `max` of them. */
function includeRound(
  db: DatabaseSync,
  specs: readonly Spec[],
  sources: readonly number[],
  seen: ReadonlySet<number>,
  max: number,
  policy: SearchPolicy | undefined,
): number[] {
  const found = new Set<number>();
  // An included resource the caller may not see is left out, in the query (never loaded).
  const where = policy === undefined ? {} : { where: (alias: string) => policyCondition(policy, alias, policyCtx()) };
  for (const [kind, spec] of specs) {
    const fragment = compileInclude(kind, spec, sources, where);
    // iterated, not fetched whole: a _revinclude may reach far more rows than are kept
    for (const row of db.prepare(fragment.sql).iterate(...fragment.args)) {
      const rid = Number(row.rid);
      if (!seen.has(rid)) found.add(rid);
      if (found.size >= max) return [...found];
    }
  }
  return [...found];
}

/** A compile context for the policy condition of one include query. */
function policyCtx(): Ctx {
  return { now: Date.now(), maxChainDepth: 3, maxOrValues: 100, alias: 0, terms: 0, maxTerms: DEFAULT_MAX_TERMS };
}
