/**
 * An independent search evaluator for tests: evaluates each SearchParameter's FHIRPath
 * expression with the `fhirpath` engine over in-memory resources and applies the R4
 * matching rules in plain TypeScript. It shares only the spec-level helpers
 * (date ranges, prefix semantics, string normalisation) with the SQL path.
 */
import fhirpath from "fhirpath";
import r4Model from "fhirpath/fhir-context/r4";
import { dateRange } from "../../../../../fhir/search/dateRange.ts";
import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import { paramFor, searchParameterByUrl } from "../../../../../fhir/search/searchParameters.ts";
import { splitUnescaped } from "../../../../../fhir/search/searchValueSyntax.ts";
import type { ParamFilter, SearchFilter, SearchRequest } from "../../../../../ports/SearchRequest.ts";
import { parseComponentValue } from "../../../../../fhir/search/parseComponentValue.ts";
import type { FixtureResource } from "./fixtures.ts";
import type { Node } from "./oracleValueRules.ts";
import { OracleValueRules } from "./oracleValueRules.ts";

type Obj = Record<string, unknown>;

export class Oracle {
  readonly resources: FixtureResource[];
  readonly now: number;
  private readonly rules: OracleValueRules;
  private byKey = new Map<string, FixtureResource>();
  private byType = new Map<string, FixtureResource[]>();
  /** Position of each resource in its type's list (insertion order). */
  private position = new Map<FixtureResource, number>();
  /** Per resource: FHIRPath results by parameter code, and composite samples by code. */
  private cache = new Map<FixtureResource, Map<string, Node[]>>();
  private compositeCache = new Map<FixtureResource, Map<string, Node[][][]>>();
  /** candidates() of every resource of a type, by `type\u0000code\u0000modifier`, aligned with byType. */
  private candidateCache = new Map<string, unknown[][]>();
  private compositeCandidateCache = new Map<string, unknown[][][][]>();
  /** Resolved reference targets of every resource of a type, by `type\u0000code`, aligned with byType. */
  private targetCache = new Map<string, FixtureResource[][]>();
  private lastUpdatedCache = new Map<string, { lo: number; hi: number }[]>();
  /** Results of nested filters (chain and _has targets) during one search. */
  private memo = new Map<SearchFilter, Map<FixtureResource, boolean>>();
  /** `_has` lookups: `type#refParam` → referenced `Type/id` → the referring resources. */
  private referrers = new Map<string, Map<string, FixtureResource[]>>();
  /** Compiled FHIRPath per expression (parsing dominates evaluation time on large data sets). */
  private compiled = new Map<string, { run: (focus: unknown) => unknown[] }>();
  /** The resource whose contained resources `resolve()` sees during the current evaluation. */
  private root: FixtureResource | undefined;

  constructor(resources: FixtureResource[], now: number) {
    this.resources = resources;
    this.now = now;
    this.rules = new OracleValueRules(now);
    for (const r of resources) {
      this.byKey.set(`${r.resourceType}/${r.id}`, r);
      let list = this.byType.get(r.resourceType);
      if (!list) this.byType.set(r.resourceType, (list = []));
      this.position.set(r, list.length);
      list.push(r);
    }
  }

  /** Ids (`Type/id`) matching the request, in the same order as the SQL (sort keys, then insertion order). */
  search(request: SearchRequest): string[] {
    // filter by filter over positions in the type's list: parameter filters read the type's aligned candidates
    this.memo = new Map();
    const all = this.byType.get(request.type) ?? [];
    let positions = this.scope(request, all);
    for (const f of request.filters) positions = positions.filter(this.filterAt(request.type, all, f));
    this.memo = new Map();
    const hits = positions.map((i) => all[i]!);
    const ordered = hits.map((r, i) => ({
      r,
      i,
      keys: request.sort.map((s) => this.sortKey(r, s.code, s.descending)),
    }));
    ordered.sort((a, b) => {
      for (const [k, s] of request.sort.entries()) {
        const x = a.keys[k];
        const y = b.keys[k];
        if (x === y) continue;
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        const c = x < y ? -1 : 1;
        return s.descending ? -c : c;
      }
      return a.i - b.i;
    });
    return ordered.map((o) => `${o.r.resourceType}/${o.r.id}`);
  }

  /** Positions of the resources a request can match, ascending: those named by an `_id` filter, or all of its type. */
  private scope(request: SearchRequest, all: FixtureResource[]): number[] {
    const byId = request.filters.find((f) => f.kind === "param" && f.code === "_id" && f.modifier === undefined) as
      | ParamFilter
      | undefined;
    if (!byId) return all.map((_, i) => i);
    const named = byId.values.map((v) => this.byKey.get(`${request.type}/${v.value}`)).filter((r) => r !== undefined);
    return [...new Set(named.map((r) => this.position.get(r)!))].sort((a, b) => a - b);
  }

  /** A test of one top-level filter on a position in the type's list. */
  private filterAt(type: string, all: FixtureResource[], f: SearchFilter): (i: number) => boolean {
    if (f.kind === "param" && f.code !== "_id" && f.code !== "_lastUpdated") {
      const def = paramFor(type, f.code)!;
      if (def.type === "composite") {
        const foci = this.typeCompositeCandidates(type, f.code);
        const test = this.compositeTest(type, f);
        return (i) => test(foci[i]!);
      }
      const cands = this.typeCandidates(type, def.type, f);
      return (i) => this.candidatesMatch(def.type, cands[i]!, f);
    }
    if (f.kind === "param" && f.code === "_lastUpdated") {
      const ranges = this.typeLastUpdated(type);
      return (i) => f.values.some((v) => this.rules.dateMatch(ranges[i]!, v));
    }
    if (f.kind === "chain") {
      const targets = this.typeTargets(type, f.code);
      return (i) => targets[i]!.some((t) => f.targetTypes.includes(t.resourceType) && this.nestedMatches(t, f.next));
    }
    return (i) => this.matches(all[i]!, f);
  }

  /** matches(), remembered for the current search (many resources refer to the same target). */
  private nestedMatches(r: FixtureResource, f: SearchFilter): boolean {
    let m = this.memo.get(f);
    if (!m) this.memo.set(f, (m = new Map()));
    let hit = m.get(r);
    if (hit === undefined) m.set(r, (hit = this.matches(r, f)));
    return hit;
  }

  /** FHIRPath evaluation of one parameter's expression. */
  values(r: FixtureResource, code: string): Node[] {
    let perResource = this.cache.get(r);
    if (!perResource) this.cache.set(r, (perResource = new Map()));
    let nodes = perResource.get(code);
    if (nodes) return nodes;
    const def = paramFor(r.resourceType, code);
    nodes = def?.expression ? this.evaluate(r, r, def.expression) : [];
    perResource.set(code, nodes);
    return nodes;
  }

  private evaluate(
    root: FixtureResource,
    focus: unknown,
    expression: string | { base: string; expression: string },
  ): Node[] {
    const previous = this.root;
    this.root = root;
    let out: unknown[];
    try {
      out = this.compile(expression).run(focus);
    } catch {
      // R4 writes `(Observation.component.value as Quantity)` over collections, which FHIRPath N1
      // rejects ("Expected singleton"); the intended meaning is ofType().
      const rewrite = (e: string) => e.replace(/\(([^()]+?) as (\w+)\)/g, "$1.ofType($2)");
      out = this.compile(
        typeof expression === "string"
          ? rewrite(expression)
          : { ...expression, expression: rewrite(expression.expression) },
      ).run(focus);
    } finally {
      this.root = previous;
    }
    return out.map((n) => {
      if (n !== null && typeof n === "object" && "data" in n) {
        const rn = n as { data: unknown; fhirNodeDataType?: string; path?: string };
        const t = rn.fhirNodeDataType ?? typeof rn.data;
        return { type: t.replace(/^System\./, "").replace(/^String$/, "string"), data: rn.data, path: rn.path ?? "" };
      }
      return { type: typeof n, data: n, path: "" };
    });
  }

  /** The expression compiled once; `resolve()` finds contained resources of `this.root` and stubs `{resourceType, id}` for literal references. */
  private compile(expression: string | { base: string; expression: string }): { run: (focus: unknown) => unknown[] } {
    const key = typeof expression === "string" ? expression : `${expression.base}\u0000${expression.expression}`;
    let c = this.compiled.get(key);
    if (c) return c;
    const resolve = {
      fn: (inputs: unknown[]) =>
        inputs.flatMap((node) => {
          const ref = ((node as { data?: Obj }).data ?? (node as Obj))?.reference;
          if (typeof ref !== "string") return [];
          let target: Obj | undefined;
          if (ref.startsWith("#"))
            target = (this.root?.contained as Obj[] | undefined)?.find((x) => x.id === ref.slice(1));
          else {
            const parts = ref.split("/");
            if (parts.length >= 2) target = { resourceType: parts[parts.length - 2], id: parts[parts.length - 1] };
          }
          if (!target) return [];
          return fhirpath.evaluate(target, String(target.resourceType), {}, r4Model, { resolveInternalTypes: false });
        }),
      arity: { 0: [] },
      internalStructures: true,
    };
    const fn = fhirpath.compile(expression, r4Model, {
      resolveInternalTypes: false,
      userInvocationTable: { resolve } as never,
    });
    c = { run: (focus) => fn(focus, {}) as unknown[] };
    this.compiled.set(key, c);
    return c;
  }

  matches(r: FixtureResource, f: SearchFilter): boolean {
    switch (f.kind) {
      case "chain":
        return this.typeTargets(r.resourceType, f.code)[this.position.get(r)!]!.some(
          (target) => f.targetTypes.includes(target.resourceType) && this.nestedMatches(target, f.next),
        );
      case "has":
        return (this.referring(f.type, f.refParam).get(`${r.resourceType}/${r.id}`) ?? []).some((s) =>
          this.nestedMatches(s, f.next),
        );
      case "param":
        return this.paramMatches(r, f);
    }
  }

  /** Resources of `type` by the exact `reference` strings their `refParam` values hold. */
  private referring(type: string, refParam: string): Map<string, FixtureResource[]> {
    const key = `${type}#${refParam}`;
    let index = this.referrers.get(key);
    if (index) return index;
    index = new Map();
    for (const s of this.byType.get(type) ?? []) {
      for (const ref of new Set(this.values(s, refParam).map((n) => (n.data as Obj | undefined)?.reference))) {
        if (typeof ref !== "string") continue;
        let list = index.get(ref);
        if (!list) index.set(ref, (list = []));
        list.push(s);
      }
    }
    this.referrers.set(key, index);
    return index;
  }

  private paramMatches(r: FixtureResource, f: ParamFilter): boolean {
    if (f.code === "_id") {
      const hit = f.values.some((v) => v.value === r.id);
      return f.modifier === "not" ? !hit : hit;
    }
    if (f.code === "_lastUpdated") {
      const range = this.typeLastUpdated(r.resourceType)[this.position.get(r)!]!;
      return f.values.some((v) => this.rules.dateMatch(range, v));
    }
    const def = paramFor(r.resourceType, f.code)!;
    if (def.type === "composite") return this.compositeMatches(r, f);
    return this.candidatesMatch(def.type, this.typeCandidates(r.resourceType, def.type, f)[this.position.get(r)!]!, f);
  }

  private candidatesMatch(type: string, cands: unknown[], f: ParamFilter): boolean {
    if (f.modifier === "missing") {
      const present = cands.length > 0;
      return f.values.some((v) => (v.value === "true" ? !present : present));
    }
    const hit = f.values.some((v) => cands.some((c) => this.rules.valueMatches(type, c, v, f)));
    return f.modifier === "not" ? !hit : hit;
  }

  /** For each focus element of a composite parameter, the FHIRPath results of each component. */
  compositeSamples(r: FixtureResource, code: string): Node[][][] {
    let perResource = this.compositeCache.get(r);
    if (!perResource) this.compositeCache.set(r, (perResource = new Map()));
    let samples = perResource.get(code);
    if (samples) return samples;
    const def = paramFor(r.resourceType, code)!;
    samples = this.evaluate(r, r, def.expression!).map((focus) =>
      def.component.map((c) =>
        this.evaluate(r, focus.data, { base: focus.path || r.resourceType, expression: c.expression }),
      ),
    );
    perResource.set(code, samples);
    return samples;
  }

  private compositeMatches(r: FixtureResource, f: ParamFilter): boolean {
    return this.compositeTest(
      r.resourceType,
      f,
    )(this.typeCompositeCandidates(r.resourceType, f.code)[this.position.get(r)!]!);
  }

  /** A composite filter as a test on candidates per focus and component (query values parsed once). */
  private compositeTest(type: string, f: ParamFilter): (foci: unknown[][][]) => boolean {
    const comps = paramFor(type, f.code)!.component.map((c) => searchParameterByUrl(c.definition)!.type);
    const wanted = f.values.map((v) =>
      splitUnescaped(v.value, "$").map((piece, i) => parseComponentValue(comps[i] as never, piece)),
    );
    return (foci) =>
      wanted.some((svs) =>
        foci.some((focus) =>
          comps.every((t, i) => focus[i]!.some((cand) => this.rules.valueMatches(t, cand, svs[i]!, {}))),
        ),
      );
  }

  /** For every resource of a type: per focus element of a composite, the candidates of each component. */
  private typeCompositeCandidates(resourceType: string, code: string): unknown[][][][] {
    const key = `${resourceType}\u0000${code}\u0000composite`;
    let all = this.compositeCandidateCache.get(key);
    if (!all) {
      const comps = paramFor(resourceType, code)!.component.map((c) => searchParameterByUrl(c.definition)!.type);
      all = (this.byType.get(resourceType) ?? []).map((r) =>
        this.compositeSamples(r, code).map((focus) => comps.map((t, i) => this.rules.candidates(t, focus[i]!, {}))),
      );
      this.compositeCandidateCache.set(key, all);
    }
    return all;
  }

  /** meta.lastUpdated of every resource of a type, as a range. */
  private typeLastUpdated(resourceType: string): { lo: number; hi: number }[] {
    let all = this.lastUpdatedCache.get(resourceType);
    if (!all)
      this.lastUpdatedCache.set(
        resourceType,
        (all = (this.byType.get(resourceType) ?? []).map((r) => dateRange(r.meta!.lastUpdated!)!)),
      );
    return all;
  }

  /** For every resource of a type: the resources its reference parameter `code` points to (chains). */
  private typeTargets(resourceType: string, code: string): FixtureResource[][] {
    const key = `${resourceType}\u0000${code}`;
    let all = this.targetCache.get(key);
    if (!all) {
      all = (this.byType.get(resourceType) ?? []).map((r) =>
        this.values(r, code).flatMap((n) => {
          const ref = (n.data as Obj | undefined)?.reference;
          const target = typeof ref === "string" ? this.byKey.get(ref.split("/_history")[0]!) : undefined;
          return target ? [target] : [];
        }),
      );
      this.targetCache.set(key, all);
    }
    return all;
  }

  /** candidates() of a parameter for every resource of a type, computed once (only :identifier changes them). */
  private typeCandidates(resourceType: string, type: string, f: ParamFilter): unknown[][] {
    const modifier = f.modifier === "identifier" ? "identifier" : "";
    const key = `${resourceType}\u0000${f.code}\u0000${modifier}`;
    let all = this.candidateCache.get(key);
    if (!all) {
      all = (this.byType.get(resourceType) ?? []).map((r) =>
        this.rules.candidates(type, this.values(r, f.code), { modifier }),
      );
      this.candidateCache.set(key, all);
    }
    return all;
  }

  private sortKey(r: FixtureResource, code: string, descending: boolean): string | number | undefined {
    if (code === "_id") return r.id;
    if (code === "_lastUpdated") return r.meta!.lastUpdated;
    const def = paramFor(r.resourceType, code)!;
    const cands = this.rules.candidates(def.type, this.values(r, code), {});
    let keys: (string | number)[];
    switch (def.type) {
      case "string":
        keys = (cands as string[]).map(normalizeString);
        break;
      case "token":
        keys = (cands as { code?: string }[]).flatMap((t) => (t.code ? [t.code] : []));
        break;
      case "date":
        keys = (cands as { lo: number; hi: number }[]).map((d) => (descending ? d.hi : d.lo));
        break;
      case "quantity":
        keys = (cands as { value: number }[]).map((q) => q.value);
        break;
      default:
        keys = cands as (string | number)[];
    }
    if (keys.length === 0) return undefined;
    return keys.reduce((a, b) => ((descending ? b > a : b < a) ? b : a));
  }
}
