import { dateRange } from "../../../../../fhir/search/dateRange.ts";
import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import { paramsFor, searchParameterByUrl } from "../../../../../fhir/search/searchParameters.ts";
import { escapeValue } from "../../../../../fhir/search/searchValueSyntax.ts";
import { PREFIXES } from "../../../../../ports/SearchRequest.ts";
import type { FixtureResource } from "./fixtures.ts";
import type { Oracle } from "./oracle.ts";

type Obj = Record<string, unknown>;
export const q = (code: string, value: string) => `${encodeURIComponent(code)}=${encodeURIComponent(value)}`;

/** Dates at several precisions around a range start (year, month, day, second). */
export function dateProbes(lo: number): string[] {
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
            const strs =
              typeof n.data === "string"
                ? [n.data]
                : Object.values(d ?? {})
                    .flat()
                    .filter((x): x is string => typeof x === "string");
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
              n.type === "CodeableConcept"
                ? ((d.coding as Obj[]) ?? [])
                : n.type === "Identifier"
                  ? [{ system: d.system, code: d.value, display: (d.type as Obj | undefined)?.text }]
                  : n.type === "ContactPoint"
                    ? [{ system: d.system, code: d.value }]
                    : n.type === "Coding"
                      ? [d]
                      : [{ code: String(n.data) }];
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
            if (n.type === "CodeableConcept" && typeof d.text === "string")
              add(q(`${code}:text`, d.text.toUpperCase()));
            break;
          }
          case "date": {
            const starts: number[] = [];
            if (typeof n.data === "string") starts.push(dateRange(n.data)!.lo);
            else if (n.type === "Period")
              for (const k of ["start", "end"])
                if (typeof d[k] === "string") starts.push(dateRange(d[k] as string)!.lo);
            for (const lo of starts)
              for (const probe of dateProbes(lo)) for (const p of PREFIXES) add(q(code, p + probe));
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
              add(
                q(
                  code,
                  `${v}|${escapeValue(String(d.system ?? ""))}|${escapeValue(String(d.code ?? d.currency ?? ""))}`,
                ),
              );
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
export function distinct<T extends { data: unknown }>(nodes: T[]): T[] {
  const seen = new Set<string>();
  return nodes.filter((n) => {
    const k = JSON.stringify(n.data);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `a$b` values built from each composite's own components found in the data. */
function compositeQueries(
  type: string,
  code: string,
  resources: FixtureResource[],
  oracle: Oracle,
  perParam: number,
): [string, string][] {
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
      const c =
        n.type === "CodeableConcept" ? ((d.coding as Obj[] | undefined) ?? [])[0] : n.type === "Coding" ? d : undefined;
      if (c?.code)
        return [`${escapeValue(String(c.system ?? ""))}|${escapeValue(String(c.code))}`, escapeValue(String(c.code))];
      return typeof n.data === "string" || typeof n.data === "boolean" ? [escapeValue(String(n.data))] : [];
    }
    case "quantity": {
      const v = Number(d?.value);
      return Number.isFinite(v)
        ? [
            `${v}`,
            ...PREFIXES.map((p) => `${p}${v}`),
            `gt${v - 1}`,
            `${v}|${escapeValue(String(d.system ?? ""))}|${escapeValue(String(d.code ?? ""))}`,
          ]
        : [];
    }
    case "date": {
      const r = typeof n.data === "string" ? dateRange(n.data) : undefined;
      return r
        ? dateProbes(r.lo)
            .slice(0, 3)
            .flatMap((p) => [p, `ge${p}`])
        : [];
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
export function withDriver(
  all: readonly FixtureResource[],
  list: [string, string][],
  maxIds = Infinity,
): [string, string][] {
  const out: [string, string][] = [];
  const byType = new Map<string, string[]>();
  for (const [type, query] of list) {
    if (!/(%3A(missing|not|contains)=|=(eq|ne|gt|lt|ge|le|sa|eb|ap)\d)/.test(query)) continue;
    let others = byType.get(type);
    if (!others)
      byType.set(type, (others = spread(all.filter((r) => r.resourceType === type).slice(1), maxIds).map((r) => r.id)));
    if (others.length > 0) out.push([type, `${query}&_id=${others.join(",")}`]);
  }
  return out;
}

export function spread<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]!);
}

/** Parameters of `r` with a value that `r` matches: [code, value], one value per parameter. */
