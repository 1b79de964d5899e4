/**
 * Queries that combine parameters, generated from values the data really holds: OR lists,
 * AND queries, chains (one and two hops, typed and untyped), _has and nested _has. The
 * single-parameter queries are in generateQueries.ts.
 */
import { dateRange } from "../../../../../fhir/search/dateRange.ts";
import { paramsFor } from "../../../../../fhir/search/searchParameters.ts";
import { escapeValue } from "../../../../../fhir/search/searchValueSyntax.ts";
import { PREFIXES } from "../../../../../ports/SearchRequest.ts";
import { dateProbes, q, spread } from "./generateQueries.ts";
import type { FixtureResource } from "./fixtures.ts";
import type { Oracle } from "./oracle.ts";

type Obj = Record<string, unknown>;

type OracleNode = ReturnType<Oracle["values"]>[number];

/** A value of a parameter (escaped, ready for a query) that the node itself matches; undefined when there is none. */
function matchingValue(type: string, n: OracleNode): string | undefined {
  const d = (n.data ?? {}) as Obj;
  const first = (...xs: unknown[]) => xs.flat().find((x): x is string => typeof x === "string" && x.length > 0);
  switch (type) {
    case "string": {
      const s =
        typeof n.data === "string"
          ? n.data
          : n.type === "HumanName"
            ? first(d.family, d.given)
            : n.type === "Address"
              ? first(d.city, d.line, d.state)
              : undefined;
      return s ? escapeValue(s.slice(0, 40)) : undefined;
    }
    case "token": {
      if (typeof n.data === "boolean" || typeof n.data === "string") return escapeValue(String(n.data));
      const c =
        n.type === "CodeableConcept"
          ? ((d.coding as Obj[] | undefined) ?? []).find((x) => typeof x.code === "string")
          : n.type === "Coding"
            ? d
            : n.type === "Identifier"
              ? { system: d.system, code: d.value }
              : n.type === "ContactPoint"
                ? { code: d.value }
                : undefined;
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
      if (n.type === "Money")
        return typeof d.currency === "string"
          ? `${d.value}|urn:iso:std:iso:4217|${escapeValue(d.currency)}`
          : String(d.value);
      return typeof d.system === "string" && typeof d.code === "string"
        ? `${d.value}|${escapeValue(d.system)}|${escapeValue(d.code)}`
        : String(d.value);
    }
    case "uri":
      return typeof n.data === "string" ? escapeValue(n.data) : undefined;
  }
  return undefined;
}

/** `n` resources spread evenly over `list` (the first ones when it is short). */

function matchingParams(
  r: FixtureResource,
  oracle: Oracle,
  skip: (code: string, type: string) => boolean = () => false,
): [string, string][] {
  const out: [string, string][] = [];
  for (const def of paramsFor(r.resourceType).values()) {
    if (
      !def.expression ||
      def.type === "special" ||
      def.type === "composite" ||
      def.code === "_lastUpdated" ||
      skip(def.code, def.type)
    )
      continue;
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
export function generateCombinedQueries(
  all: readonly FixtureResource[],
  oracle: Oracle,
  perParam = 4,
): [string, string][] {
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
      if (!def.expression || def.type === "special" || def.type === "composite" || def.code === "_lastUpdated")
        continue;
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
        if (def.type === "string")
          out.push(
            [type, q(`${code}:exact`, `${a},${b}`)],
            [type, q(`${code}:contains`, `${a.slice(1, 4)},${nothing}`)],
          );
        if (def.type === "date" || def.type === "number") {
          const bare = (x: string) => x.replace(/^[a-z]{2}/, "");
          out.push([type, q(code, `lt${bare(a)},gt${bare(b)}`)], [type, q(code, `eb${bare(a)},sa${bare(b)}`)]);
        }
      }
      if (vals.length === 1) {
        const other =
          def.type === "date" ? "1900-01-01" : def.type === "number" || def.type === "quantity" ? "1" : nothing;
        out.push([type, q(code, `${vals[0]},${other}`)]);
      }
    }
    for (const r of spread(resources, perParam)) {
      // AND: parameters the same resource has, pairwise and three at a time
      const params = matchingParams(r, oracle);
      for (let i = 0; i + 1 < params.length && i < 8; i += 2) {
        out.push([type, `${q(...params[i]!)}&${q(...params[i + 1]!)}`]);
        if (i + 2 < params.length)
          out.push([type, `${q(...params[i]!)}&${q(...params[i + 1]!)}&${q(...params[i + 2]!)}`]);
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
    out.push(...tokenQuantityPairs(type, resources, oracle, perParam));
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
        const source = resources.find((r) =>
          oracle.values(r, def.code).some((n) => (n.data as Obj | undefined)?.reference === ref),
        )!;
        const targetParams = matchingParams(target, oracle).slice(0, 3);
        for (const [tcode, tv] of targetParams) {
          out.push([type, q(`${def.code}:${target.resourceType}.${tcode}`, tv)]);
          // untyped chains over references to many types (Provenance.target) must name the type
          if (def.target.filter((t) => paramsFor(t).has(tcode)).length <= 16)
            out.push([type, q(`${def.code}.${tcode}`, tv)]);
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
    const refs = (r: FixtureResource, code: string) =>
      oracle.values(r, code).map((n) => byKey.get(String((n.data as Obj | undefined)?.reference)));
    const targetsOfP = paramsFor(yType).get(p)!.target;
    let z: FixtureResource | undefined;
    let x: FixtureResource | undefined;
    for (const candidate of byType.get(zType) ?? []) {
      const y = refs(candidate, p2).find((t) => t?.resourceType === yType);
      x = y
        ? refs(y, p).find((t) => t !== undefined && (targetsOfP.length === 0 || targetsOfP.includes(t.resourceType)))
        : undefined;
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

/**
 * `token=a&quantity=b` for every token parameter and quantity parameter a resource has values
 * of, with every prefix, a unit and OR-lists, and the same as composite `a$b` where the type
 * has a composite of those two parameters: whatever the compiler makes of an AND of a token and
 * a quantity (it may turn it into a composite) is checked against both parameters evaluated
 * on their own.
 */
function tokenQuantityPairs(
  type: string,
  resources: readonly FixtureResource[],
  oracle: Oracle,
  perParam: number,
): [string, string][] {
  const out: [string, string][] = [];
  const defs = [...paramsFor(type).values()].filter((d) => d.expression);
  const tokens = defs.filter((d) => d.type === "token" && d.code !== "_id");
  for (const quantity of defs.filter((d) => d.type === "quantity")) {
    const sampled = spread(
      resources.filter((r) =>
        oracle.values(r, quantity.code).some((n) => typeof (n.data as Obj | undefined)?.value === "number"),
      ),
      perParam,
    );
    for (const [i, r] of sampled.entries()) {
      const node = oracle.values(r, quantity.code).find((n) => typeof (n.data as Obj | undefined)?.value === "number")!;
      const d = node.data as Obj;
      const v = d.value as number;
      for (const token of tokens) {
        const tv = oracle
          .values(r, token.code)
          .map((n) => matchingValue("token", n))
          .find((x) => x !== undefined);
        if (tv === undefined) continue;
        const composite = defs.find(
          (c) =>
            c.type === "composite" &&
            c.component.length === 2 &&
            c.component[0]!.definition === token.url &&
            c.component[1]!.definition === quantity.url,
        );
        const pair = (qv: string) => `${q(token.code, tv)}&${q(quantity.code, qv)}`;
        for (const p of PREFIXES) {
          out.push([type, pair(`${p}${v}`)]);
          if (composite) out.push([type, q(composite.code, `${tv}$${p}${v}`)]);
        }
        out.push([type, pair(`gt${v - 1}`)], [type, pair(`lt${v + 1}`)]);
        if (typeof d.system === "string" && typeof d.code === "string") {
          const unit = `${escapeValue(d.system)}|${escapeValue(d.code)}`;
          out.push([type, pair(`ge${v}|${unit}`)]);
          if (composite) out.push([type, q(composite.code, `${tv}$le${v}|${unit}`)]);
        }
        // OR-lists on both sides (another sample's token value, a value range on each side of v)
        const other = sampled[(i + 1) % sampled.length]!;
        const tv2 = oracle
          .values(other, token.code)
          .map((n) => matchingValue("token", n))
          .find((x) => x !== undefined);
        out.push([
          type,
          `${q(token.code, tv2 && tv2 !== tv ? `${tv},${tv2}` : tv)}&${q(quantity.code, `lt${v},gt${v}`)}`,
        ]);
        // a second quantity condition on the same parameter
        out.push([type, `${pair(`ge${v}`)}&${q(quantity.code, `le${v}`)}`]);
      }
    }
  }
  return out;
}

/** A few (Z.p2 → Y, Y.p → X) reference pairs present in the data, for nested `_has`. */
function nestedHasPairs(
  all: readonly FixtureResource[],
  oracle: Oracle,
  limit: number,
): [[string, string], [string, string]][] {
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
      out.push([
        [zType, p2],
        [yType, p],
      ]);
    }
  }
  return out;
}
