import { dateRange } from "../../../../../fhir/search/dateRange.ts";
import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import { paramsFor, searchParameterByUrl } from "../../../../../fhir/search/searchParameters.ts";
import { escapeValue } from "../../../../../fhir/search/searchValueSyntax.ts";
import { PREFIXES } from "../../../../../fhir/search/SearchRequest.ts";
import type { FixtureResource } from "./fixtures.ts";
import type { Oracle } from "./oracle.ts";

type Obj = Record<string, unknown>;
export const q = (code: string, value: string) => `${encodeURIComponent(code)}=${encodeURIComponent(value)}`;

/** Dates at several precisions around a range start (year, month, day, second). */
function dateProbes(lo: number): string[] {
  if (lo < -1e15 || lo > 1e15) return [];
  const iso = new Date(lo).toISOString();
  return [iso.slice(0, 4), iso.slice(0, 7), iso.slice(0, 10), iso.slice(0, 19) + "Z"];
}

/**
 * Queries derived from the values actually present in `all`, for every parameter of every
 * type: each modifier and prefix, several date precisions, units, OR-able values.
 * `perParam` caps how many distinct values per parameter are turned into queries.
 */
export function generateQueries(all: readonly FixtureResource[], oracle: Oracle, perParam = 4): [string, string][] {
  const out: [string, string][] = [];
  const types = [...new Set(all.map((r) => r.resourceType))];
  for (const type of types) {
    const resources = all.filter((r) => r.resourceType === type);
    for (const def of paramsFor(type).values()) {
      if (!def.expression || def.type === "special") continue;
      if (def.type === "composite") {
        out.push(...compositeQueries(type, def.code, resources, oracle, perParam));
        continue;
      }
      const code = def.code;
      const nodes = resources.flatMap((r) => oracle.values(r, code));
      if (nodes.length === 0) continue;
      const add = (s: string) => out.push([type, s]);
      if (!code.startsWith("_id") && code !== "_lastUpdated") {
        add(q(`${code}:missing`, "true"));
        add(q(`${code}:missing`, "false"));
      }
      const seen = new Set<string>();
      for (const n of distinct(nodes).slice(0, perParam)) {
        const d = n.data as Obj;
        switch (def.type) {
          case "string": {
            const strs = typeof n.data === "string" ? [n.data] : Object.values(d ?? {}).flat().filter((x): x is string => typeof x === "string");
            for (const s of strs.slice(0, 3)) {
              if (seen.has(s)) continue;
              seen.add(s);
              add(q(code, s.slice(0, 3).toLowerCase()));
              add(q(code, normalizeString(s)));
              add(q(`${code}:exact`, s));
              add(q(`${code}:exact`, s.toUpperCase()));
              add(q(`${code}:contains`, s.slice(1, 4)));
            }
            break;
          }
          case "token": {
            const codings: Obj[] =
              n.type === "CodeableConcept" ? ((d.coding as Obj[]) ?? []) :
              n.type === "Identifier" ? [{ system: d.system, code: d.value, display: (d.type as Obj | undefined)?.text }] :
              n.type === "ContactPoint" ? [{ system: d.system, code: d.value }] :
              n.type === "Coding" ? [d] : [{ code: String(n.data) }];
            for (const c of codings) {
              const cc = String(c.code);
              add(q(code, cc));
              add(q(`${code}:not`, cc));
              if (c.system) {
                add(q(code, `${escapeValue(String(c.system))}|${escapeValue(cc)}`));
                add(q(code, `${escapeValue(String(c.system))}|`));
              }
              add(q(code, `|${escapeValue(cc)}`));
              if (typeof c.display === "string") add(q(`${code}:text`, c.display.slice(0, 5)));
            }
            if (n.type === "CodeableConcept" && typeof d.text === "string") add(q(`${code}:text`, d.text.toUpperCase()));
            break;
          }
          case "date": {
            const starts: number[] = [];
            if (typeof n.data === "string") starts.push(dateRange(n.data)!.lo);
            else if (n.type === "Period") for (const k of ["start", "end"]) if (typeof d[k] === "string") starts.push(dateRange(d[k] as string)!.lo);
            for (const lo of starts) for (const probe of dateProbes(lo)) for (const p of PREFIXES) add(q(code, p + probe));
            break;
          }
          case "number":
          case "quantity": {
            const v = typeof n.data === "number" ? n.data : Number(d?.value);
            if (!Number.isFinite(v)) break;
            for (const p of PREFIXES) add(q(code, `${p}${v}`));
            add(q(code, String(v.toFixed(1))));
            add(q(code, String(v * 1.05)));
            if (def.type === "quantity") {
              add(q(code, `${v}|${escapeValue(String(d.system ?? ""))}|${escapeValue(String(d.code ?? d.currency ?? ""))}`));
              add(q(code, `${v}||${escapeValue(String(d.unit ?? d.code ?? ""))}`));
              add(q(code, `gt${v - 1}|http://unitsofmeasure.org|mg`));
            }
            break;
          }
          case "reference": {
            const ref = typeof n.data === "string" ? n.data : (d?.reference as string | undefined);
            if (typeof ref === "string") {
              add(q(code, ref));
              const [t, id] = ref.split("/");
              if (id && !ref.includes(":")) {
                add(q(code, id));
                add(q(`${code}:${t}`, id));
              }
            }
            const ident = d?.identifier as Obj | undefined;
            if (ident) add(q(`${code}:identifier`, `${ident.system}|${ident.value}`));
            break;
          }
          case "uri": {
            const u = String(n.data);
            add(q(code, u));
            add(q(`${code}:below`, u.slice(0, u.lastIndexOf("/"))));
            add(q(`${code}:above`, u + "/more/path"));
            break;
          }
        }
      }
    }
  }
  return out;
}


/** Nodes with different values first, so a few samples cover more of the data. */
function distinct<T extends { data: unknown }>(nodes: T[]): T[] {
  const seen = new Set<string>();
  return nodes.filter((n) => {
    const k = JSON.stringify(n.data);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `a$b` values built from each composite's own components found in the data. */
function compositeQueries(type: string, code: string, resources: FixtureResource[], oracle: Oracle, perParam: number): [string, string][] {
  const def = paramsFor(type).get(code)!;
  const types = def.component.map((c) => searchParameterByUrl(c.definition)?.type);
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    for (const sample of oracle.compositeSamples(r, code)) {
      const variants: string[][] = sample.map((nodes, i) => componentValues(types[i], nodes));
      if (variants.some((v) => v.length === 0)) continue;
      const first = variants.map((v) => v[0]!);
      const key = first.join("$");
      if (seen.has(key) || seen.size >= perParam) continue;
      seen.add(key);
      // every variant of each component with the first of the others
      variants.forEach((vs, i) => {
        for (const v of vs) out.push([type, q(code, first.map((f, j) => (j === i ? v : f)).join("$"))]);
      });
    }
  }
  return out;
}

function componentValues(type: string | undefined, nodes: { type: string; data: unknown }[]): string[] {
  const n = nodes[0];
  if (!n) return [];
  const d = n.data as Obj;
  switch (type) {
    case "token": {
      const c = n.type === "CodeableConcept" ? ((d.coding as Obj[] | undefined) ?? [])[0] : n.type === "Coding" ? d : undefined;
      if (c?.code) return [`${escapeValue(String(c.system ?? ""))}|${escapeValue(String(c.code))}`, escapeValue(String(c.code))];
      return typeof n.data === "string" || typeof n.data === "boolean" ? [escapeValue(String(n.data))] : [];
    }
    case "quantity": {
      const v = Number(d?.value);
      return Number.isFinite(v) ? [`${v}`, `gt${v - 1}`, `lt${v}`, `ap${v}`, `${v}|${escapeValue(String(d.system ?? ""))}|${escapeValue(String(d.code ?? ""))}`] : [];
    }
    case "date": {
      const r = typeof n.data === "string" ? dateRange(n.data) : undefined;
      return r ? dateProbes(r.lo).slice(0, 3).flatMap((p) => [p, `ge${p}`]) : [];
    }
    case "string":
      return typeof n.data === "string" ? [escapeValue(n.data.slice(0, 3)), escapeValue(n.data)] : [];
    case "reference":
      return typeof d?.reference === "string" ? [escapeValue(d.reference)] : [];
    case "uri":
    case "number":
      return n.data !== undefined ? [escapeValue(String(n.data))] : [];
  }
  return [];
}
/**
 * The same unselective queries (ranges, :missing, :not, :contains) AND-ed with a selective one,
 * which makes the compiler check them per candidate (EXISTS) instead of as IN-lists.
 * `maxIds` caps the `_id` list (spread over the type) for large data sets.
 */
export function withDriver(all: readonly FixtureResource[], list: [string, string][], maxIds = Infinity): [string, string][] {
  const out: [string, string][] = [];
  const byType = new Map<string, string[]>();
  for (const [type, query] of list) {
    if (!/(%3A(missing|not|contains)=|=(eq|ne|gt|lt|ge|le|sa|eb|ap)\d)/.test(query)) continue;
    let others = byType.get(type);
    if (!others) byType.set(type, (others = spread(all.filter((r) => r.resourceType === type).slice(1), maxIds).map((r) => r.id)));
    if (others.length > 0) out.push([type, `${query}&_id=${others.join(",")}`]);
  }
  return out;
}

type OracleNode = ReturnType<Oracle["values"]>[number];

/** A value of a parameter (escaped, ready for a query) that the node itself matches; undefined when there is none. */
function matchingValue(type: string, n: OracleNode): string | undefined {
  const d = (n.data ?? {}) as Obj;
  const first = (...xs: unknown[]) => xs.flat().find((x): x is string => typeof x === "string" && x.length > 0);
  switch (type) {
    case "string": {
      const s = typeof n.data === "string" ? n.data : n.type === "HumanName" ? first(d.family, d.given) : n.type === "Address" ? first(d.city, d.line, d.state) : undefined;
      return s ? escapeValue(s.slice(0, 40)) : undefined;
    }
    case "token": {
      if (typeof n.data === "boolean" || typeof n.data === "string") return escapeValue(String(n.data));
      const c = n.type === "CodeableConcept" ? ((d.coding as Obj[] | undefined) ?? []).find((x) => typeof x.code === "string") :
        n.type === "Coding" ? d :
        n.type === "Identifier" ? { system: d.system, code: d.value } :
        n.type === "ContactPoint" ? { code: d.value } : undefined;
      if (typeof c?.code !== "string") return undefined;
      return typeof c.system === "string" ? `${escapeValue(c.system)}|${escapeValue(c.code)}` : escapeValue(c.code);
    }
    case "reference": {
      const ref = d.reference;
      return typeof ref === "string" && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref) ? ref : undefined;
    }
    case "date": {
      // the day of the value (or of a period's start or end): eq for an instant, ge/le for a period
      const day = (text: unknown) => {
        const r = typeof text === "string" ? dateRange(text) : undefined;
        return r ? dateProbes(r.lo)[2] : undefined;
      };
      if (typeof n.data === "string") return day(n.data);
      if (n.type !== "Period") return undefined;
      const start = day(d.start);
      const end = day(d.end);
      return start ? `ge${start}` : end ? `le${end}` : undefined;
    }
    case "number":
      return typeof n.data === "number" && Number.isFinite(n.data) ? String(n.data) : undefined;
    case "quantity": {
      if (typeof d.value !== "number") return undefined;
      if (n.type === "Money") return typeof d.currency === "string" ? `${d.value}|urn:iso:std:iso:4217|${escapeValue(d.currency)}` : String(d.value);
      return typeof d.system === "string" && typeof d.code === "string" ? `${d.value}|${escapeValue(d.system)}|${escapeValue(d.code)}` : String(d.value);
    }
    case "uri":
      return typeof n.data === "string" ? escapeValue(n.data) : undefined;
  }
  return undefined;
}

/** `n` resources spread evenly over `list` (the first ones when it is short). */
function spread<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]!);
}

/** Parameters of `r` with a value that `r` matches: [code, value], one value per parameter. */
function matchingParams(r: FixtureResource, oracle: Oracle, skip: (code: string, type: string) => boolean = () => false): [string, string][] {
  const out: [string, string][] = [];
  for (const def of paramsFor(r.resourceType).values()) {
    if (!def.expression || def.type === "special" || def.type === "composite" || def.code === "_lastUpdated" || skip(def.code, def.type)) continue;
    if (def.code === "_id") continue;
    for (const n of oracle.values(r, def.code)) {
      const v = matchingValue(def.type, n);
      if (v !== undefined) {
        out.push([def.code, v]);
        break;
      }
    }
  }
  return out;
}

/**
 * Queries that combine conditions, built from values present in `all`: OR lists (values of
 * one parameter, with and without modifiers and prefixes), AND of parameters found together
 * on one resource (and ranges on one parameter), forward chains of one and two hops (typed
 * and untyped), and `_has` reverse chains (also nested). `perParam` caps samples per parameter.
 */
export function generateCombinedQueries(all: readonly FixtureResource[], oracle: Oracle, perParam = 4): [string, string][] {
  const out: [string, string][] = [];
  const byKey = new Map(all.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const byType = new Map<string, FixtureResource[]>();
  for (const r of all) {
    let list = byType.get(r.resourceType);
    if (!list) byType.set(r.resourceType, (list = []));
    list.push(r);
  }
  const nothing = "zz-no-such-value";
  for (const [type, resources] of byType) {
    // OR: distinct matching values of each parameter
    for (const def of paramsFor(type).values()) {
      if (!def.expression || def.type === "special" || def.type === "composite" || def.code === "_lastUpdated") continue;
      const code = def.code;
      const seen = new Set<string>();
      for (const r of resources) {
        if (seen.size >= 2 * perParam) break;
        for (const n of oracle.values(r, code)) {
          const v = matchingValue(def.type, n);
          if (v !== undefined) seen.add(v);
        }
      }
      const vals = [...seen];
      if (code === "_id") vals.push(...spread(resources, 2 * perParam).map((r) => r.id));
      for (let i = 0; i + 1 < vals.length && i < 2 * perParam; i += 2) {
        const [a, b] = [vals[i]!, vals[i + 1]!];
        out.push([type, q(code, `${a},${b}`)]);
        if (def.type === "token") out.push([type, q(`${code}:not`, `${a},${b}`)]);
        if (def.type === "string") out.push([type, q(`${code}:exact`, `${a},${b}`)], [type, q(`${code}:contains`, `${a.slice(1, 4)},${nothing}`)]);
        if (def.type === "date" || def.type === "number") {
          const bare = (x: string) => x.replace(/^[a-z]{2}/, "");
          out.push([type, q(code, `lt${bare(a)},gt${bare(b)}`)], [type, q(code, `eb${bare(a)},sa${bare(b)}`)]);
        }
      }
      if (vals.length === 1) {
        const other = def.type === "date" ? "1900-01-01" : def.type === "number" || def.type === "quantity" ? "1" : nothing;
        out.push([type, q(code, `${vals[0]},${other}`)]);
      }
    }
    for (const r of spread(resources, perParam)) {
      // AND: parameters the same resource has, pairwise and three at a time
      const params = matchingParams(r, oracle);
      for (let i = 0; i + 1 < params.length && i < 8; i += 2) {
        out.push([type, `${q(...params[i]!)}&${q(...params[i + 1]!)}`]);
        if (i + 2 < params.length) out.push([type, `${q(...params[i]!)}&${q(...params[i + 1]!)}&${q(...params[i + 2]!)}`]);
      }
      // AND on one parameter: a range around a date, a value and a :not of another value
      for (const [code, v] of params) {
        const def = paramsFor(type).get(code)!;
        if (def.type === "date" && !/^[a-z]{2}/.test(v)) {
          out.push([type, `${q(code, `ge${v.slice(0, 7)}`)}&${q(code, `le${v}`)}`]);
          out.push([type, `${q(code, `gt${v.slice(0, 4)}`)}&${q(code, `lt${v}`)}`]);
        }
        if (def.type === "token") out.push([type, `${q(code, v)}&${q(`${code}:not`, nothing)}`]);
        if (def.type === "quantity" || def.type === "number") {
          const n = Number(v.split("|")[0]);
          out.push([type, `${q(code, `ge${n}`)}&${q(code, `lt${n + 1}`)}`]);
        }
      }
    }
    // chains and _has over each reference parameter
    for (const def of paramsFor(type).values()) {
      if (def.type !== "reference" || !def.expression) continue;
      const targets = new Map<string, FixtureResource>();
      for (const r of resources) {
        if (targets.size >= perParam) break;
        for (const n of oracle.values(r, def.code)) {
          const ref = (n.data as Obj | undefined)?.reference;
          const target = typeof ref === "string" ? byKey.get(ref) : undefined;
          if (target && !targets.has(ref as string)) targets.set(ref as string, target);
        }
      }
      for (const [ref, target] of targets) {
        const source = resources.find((r) => oracle.values(r, def.code).some((n) => (n.data as Obj | undefined)?.reference === ref))!;
        const targetParams = matchingParams(target, oracle).slice(0, 3);
        for (const [tcode, tv] of targetParams) {
          out.push([type, q(`${def.code}:${target.resourceType}.${tcode}`, tv)]);
          // untyped chains over references to many types (Provenance.target) must name the type
          if (def.target.filter((t) => paramsFor(t).has(tcode)).length <= 16) out.push([type, q(`${def.code}.${tcode}`, tv)]);
        }
        // two hops: through a reference of the target
        const hop = targetParams.find(([tcode]) => paramsFor(target.resourceType).get(tcode)!.type === "reference");
        const next = hop ? byKey.get(hop[1]) : undefined;
        if (hop && next) {
          for (const [ncode, nv] of matchingParams(next, oracle).slice(0, 2)) {
            out.push([type, q(`${def.code}:${target.resourceType}.${hop[0]}:${next.resourceType}.${ncode}`, nv)]);
          }
        }
        // _has: the target type, referred to by this source through def.code
        if (def.target.length === 0 || def.target.includes(target.resourceType)) {
          for (const [scode, sv] of matchingParams(source, oracle).slice(0, 3)) {
            out.push([target.resourceType, q(`_has:${type}:${def.code}:${scode}`, sv)]);
          }
          out.push([target.resourceType, `${q(`_has:${type}:${def.code}:_id`, source.id)}&${q("_id:not", nothing)}`]);
        }
      }
    }
  }
  // nested _has: X referred to by Y (through p) that is referred to by Z (through p2) with a value
  for (const [[zType, p2], [yType, p]] of nestedHasPairs(all, oracle, perParam)) {
    const refs = (r: FixtureResource, code: string) => oracle.values(r, code).map((n) => byKey.get(String((n.data as Obj | undefined)?.reference)));
    const targetsOfP = paramsFor(yType).get(p)!.target;
    let z: FixtureResource | undefined;
    let x: FixtureResource | undefined;
    for (const candidate of byType.get(zType) ?? []) {
      const y = refs(candidate, p2).find((t) => t?.resourceType === yType);
      x = y ? refs(y, p).find((t) => t !== undefined && (targetsOfP.length === 0 || targetsOfP.includes(t.resourceType))) : undefined;
      if (x) {
        z = candidate;
        break;
      }
    }
    if (!z || !x) continue;
    for (const [zcode, zv] of matchingParams(z, oracle).slice(0, 2)) {
      out.push([x.resourceType, q(`_has:${yType}:${p}:_has:${zType}:${p2}:${zcode}`, zv)]);
    }
  }
  return out;
}

/** A few (Z.p2 → Y, Y.p → X) reference pairs present in the data, for nested `_has`. */
function nestedHasPairs(all: readonly FixtureResource[], oracle: Oracle, limit: number): [[string, string], [string, string]][] {
  const edges = new Map<string, Set<string>>(); // "Z|p2" → target types
  const byKey = new Map(all.map((r) => [`${r.resourceType}/${r.id}`, r.resourceType]));
  const sampled = new Map<string, number>();
  for (const r of all) {
    const n = sampled.get(r.resourceType) ?? 0;
    if (n >= 20) continue; // the first resources of each type are enough to see which links exist
    sampled.set(r.resourceType, n + 1);
    for (const def of paramsFor(r.resourceType).values()) {
      if (def.type !== "reference" || !def.expression) continue;
      for (const node of oracle.values(r, def.code)) {
        const t = byKey.get(String((node.data as Obj | undefined)?.reference));
        if (!t) continue;
        const k = `${r.resourceType}|${def.code}`;
        if (!edges.has(k)) edges.set(k, new Set());
        edges.get(k)!.add(t);
      }
    }
  }
  const out: [[string, string], [string, string]][] = [];
  for (const [zk, zTargets] of edges) {
    for (const [yk, yTargets] of edges) {
      const [yType, p] = yk.split("|") as [string, string];
      if (!zTargets.has(yType) || yTargets.size === 0) continue;
      const [zType, p2] = zk.split("|") as [string, string];
      const defZ = paramsFor(zType).get(p2)!;
      if (defZ.target.length > 0 && !defZ.target.includes(yType)) continue;
      if (out.filter(([[z]]) => z === zType).length >= limit) continue;
      out.push([[zType, p2], [yType, p]]);
    }
  }
  return out;
}
