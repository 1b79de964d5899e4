import type { DatabaseSync } from "node:sqlite";
import type { IncludeSpec, SearchRequest } from "../../../../ports/SearchRequest.ts";
import { compileInclude } from "./compileInclude.ts";

export interface CollectedIncludes {
  /** rids added, in the order found; none twice, none of the page's own */
  rids: number[];
  /** `:iterate` stopped at the depth limit while another round would still have added some */
  truncated: boolean;
}

type Spec = readonly ["include" | "revinclude", IncludeSpec];

/**
 * What `_include` and `_revinclude` add to a page. The first round applies every spec to the
 * matches; each further round applies the `:iterate` specs to everything the round before
 * added, whichever spec added it, until a round adds nothing or `maxDepth` rounds have run.
 * At the limit one more round is looked at (not added) to tell the caller whether it cut
 * anything off.
 * @see https://hl7.org/fhir/R4/search.html#include
 */
export function collectIncludes(
  db: DatabaseSync,
  request: Pick<SearchRequest, "include" | "revinclude">,
  pageRids: readonly number[],
  maxDepth: number,
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
    const found = includeRound(db, specs, sources, seen);
    if (round > maxDepth) return { rids, truncated: found.length > 0 };
    for (const rid of found) {
      seen.add(rid);
      rids.push(rid);
    }
    specs = iterating;
    sources = found;
  }
  return { rids, truncated: false };
}

/** Rids the specs reach from `sources` that are not in `seen`, each once. */
function includeRound(
  db: DatabaseSync,
  specs: readonly Spec[],
  sources: readonly number[],
  seen: ReadonlySet<number>,
): number[] {
  const found = new Set<number>();
  for (const [kind, spec] of specs) {
    const fragment = compileInclude(kind, spec, sources);
    for (const row of db.prepare(fragment.sql).all(...fragment.args)) {
      const rid = Number(row.rid);
      if (!seen.has(rid)) found.add(rid);
    }
  }
  return [...found];
}
