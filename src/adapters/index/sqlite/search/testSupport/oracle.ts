/**
 * An independent search evaluator for tests: evaluates each SearchParameter's FHIRPath
 * expression with the `fhirpath` engine over in-memory resources and applies the R4
 * matching rules in plain TypeScript. It shares only the spec-level helpers
 * (date ranges, prefix semantics, string normalisation) with the SQL path.
 */
import fhirpath from "fhirpath";
import r4Model from "fhirpath/fhir-context/r4";
import { canonicalConverter, canonicalQuantity } from "../../../../../fhir/search/canonicalQuantity.ts";
import { dateRange, MAX_DATE, MIN_DATE } from "../../../../../fhir/search/dateRange.ts";
import { dateMatches, numberMatches } from "../../../../../fhir/search/matchSemantics.ts";
import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import { paramFor, searchParameterByUrl } from "../../../../../fhir/search/searchParameters.ts";
import { splitUnescaped } from "../../../../../fhir/search/searchValueSyntax.ts";
import type { ParamFilter, SearchFilter, SearchRequest, SearchValue } from "../../../../../fhir/search/SearchRequest.ts";
import { parseComponentValue } from "../../../../../fhir/search/parseComponentValue.ts";
import type { FixtureResource } from "./fixtures.ts";

interface Node {
  type: string;
  data: unknown;
  path: string;
}

type Obj = Record<string, unknown>;

export class Oracle {
  readonly resources: FixtureResource[];
  readonly now: number;
  private byKey = new Map<string, FixtureResource>();
  private cache = new Map<string, Node[]>();

  constructor(resources: FixtureResource[], now: number) {
    this.resources = resources;
    this.now = now;
    for (const r of resources) this.byKey.set(`${r.resourceType}/${r.id}`, r);
  }

  /** Ids (`Type/id`) matching the request, in the same order as the SQL (sort keys, then insertion order). */
  search(request: SearchRequest): string[] {
    const hits = this.resources.filter((r) => r.resourceType === request.type && request.filters.every((f) => this.matches(r, f)));
    const ordered = hits.map((r, i) => ({ r, i, keys: request.sort.map((s) => this.sortKey(r, s.code, s.descending)) }));
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

  /** FHIRPath evaluation of one parameter's expression. */
  values(r: FixtureResource, code: string): Node[] {
    const key = `${r.resourceType}/${r.id}#${code}`;
    let nodes = this.cache.get(key);
    if (nodes) return nodes;
    const def = paramFor(r.resourceType, code);
    nodes = def?.expression ? this.evaluate(r, r, def.expression) : [];
    this.cache.set(key, nodes);
    return nodes;
  }

  private evaluate(root: FixtureResource, focus: unknown, expression: string | { base: string; expression: string }): Node[] {
    const resolve = {
      fn: (inputs: unknown[]) =>
        inputs.flatMap((node) => {
          const ref = ((node as { data?: Obj }).data ?? (node as Obj))?.reference;
          if (typeof ref !== "string") return [];
          let target: Obj | undefined;
          if (ref.startsWith("#")) target = (root.contained as Obj[] | undefined)?.find((c) => c.id === ref.slice(1));
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
    const run = (e: typeof expression) =>
      fhirpath.evaluate(focus, e, {}, r4Model, { resolveInternalTypes: false, userInvocationTable: { resolve } as never }) as unknown[];
    let out: unknown[];
    try {
      out = run(expression);
    } catch {
      // R4 writes `(Observation.component.value as Quantity)` over collections, which FHIRPath N1
      // rejects ("Expected singleton"); the intended meaning is ofType().
      const rewrite = (e: string) => e.replace(/\(([^()]+?) as (\w+)\)/g, "$1.ofType($2)");
      out = run(typeof expression === "string" ? rewrite(expression) : { ...expression, expression: rewrite(expression.expression) });
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

  matches(r: FixtureResource, f: SearchFilter): boolean {
    switch (f.kind) {
      case "chain":
        return this.values(r, f.code).some((n) => {
          const ref = (n.data as Obj | undefined)?.reference;
          if (typeof ref !== "string") return false;
          const target = this.byKey.get(ref.split("/_history")[0]!);
          return target !== undefined && f.targetTypes.includes(target.resourceType) && this.matches(target, f.next);
        });
      case "has":
        return this.resources.some(
          (s) =>
            s.resourceType === f.type &&
            this.values(s, f.refParam).some((n) => (n.data as Obj | undefined)?.reference === `${r.resourceType}/${r.id}`) &&
            this.matches(s, f.next),
        );
      case "param":
        return this.paramMatches(r, f);
    }
  }

  private paramMatches(r: FixtureResource, f: ParamFilter): boolean {
    if (f.code === "_id") {
      const hit = f.values.some((v) => v.value === r.id);
      return f.modifier === "not" ? !hit : hit;
    }
    if (f.code === "_lastUpdated") {
      const range = dateRange(r.meta!.lastUpdated!)!;
      return f.values.some((v) => this.dateMatch(range, v));
    }
    const def = paramFor(r.resourceType, f.code)!;
    if (def.type === "composite") return this.compositeMatches(r, f);
    const nodes = this.values(r, f.code);
    if (f.modifier === "missing") {
      const present = this.candidates(def.type, nodes, f).length > 0;
      return f.values.some((v) => (v.value === "true" ? !present : present));
    }
    const cands = this.candidates(def.type, nodes, f);
    const hit = f.values.some((v) => cands.some((c) => this.valueMatches(def.type, c, v, f)));
    return f.modifier === "not" ? !hit : hit;
  }

  /** For each focus element of a composite parameter, the FHIRPath results of each component. */
  compositeSamples(r: FixtureResource, code: string): Node[][][] {
    const def = paramFor(r.resourceType, code)!;
    return this.evaluate(r, r, def.expression!).map((focus) =>
      def.component.map((c) => this.evaluate(r, focus.data, { base: focus.path || r.resourceType, expression: c.expression })),
    );
  }

  private compositeMatches(r: FixtureResource, f: ParamFilter): boolean {
    const def = paramFor(r.resourceType, f.code)!;
    const comps = def.component.map((c) => ({ expr: c.expression, type: searchParameterByUrl(c.definition)!.type }));
    const foci = this.evaluate(r, r, def.expression!);
    return f.values.some((v) => {
      const pieces = splitUnescaped(v.value, "$");
      return foci.some((focus) =>
        comps.every((c, i) => {
          const nodes = this.evaluate(r, focus.data, { base: focus.path || r.resourceType, expression: c.expr });
          const sv = parseComponentValue(c.type as never, pieces[i]!);
          return this.candidates(c.type, nodes, {}).some((cand) => this.valueMatches(c.type, cand, sv, {}));
        }),
      );
    });
  }

  /** Turns FHIRPath results into comparable candidates for a parameter type. */
  private candidates(type: string, nodes: Node[], f: { modifier?: string }): unknown[] {
    const out: unknown[] = [];
    for (const n of nodes) {
      const d = n.data as Obj;
      switch (type) {
        case "string":
          if (typeof n.data === "string") out.push(n.data);
          else if (n.type === "HumanName") out.push(...strings(d, ["text", "family", "given", "prefix", "suffix"]));
          else if (n.type === "Address") out.push(...strings(d, ["text", "line", "city", "district", "state", "postalCode", "country"]));
          break;
        case "token":
          if (typeof n.data === "boolean" || typeof n.data === "string") out.push({ code: String(n.data) });
          else if (n.type === "Coding") out.push({ system: d.system, code: d.code, text: d.display });
          else if (n.type === "CodeableConcept") {
            for (const c of (d.coding as Obj[] | undefined) ?? []) out.push({ system: c.system, code: c.code, text: c.display });
            if (d.text) out.push({ text: d.text });
          } else if (n.type === "Identifier") out.push({ system: d.system, code: d.value, text: (d.type as Obj | undefined)?.text });
          else if (n.type === "ContactPoint") out.push({ system: d.system, code: d.value });
          break;
        case "reference":
          if (f.modifier === "identifier") {
            const id = d?.identifier as Obj | undefined;
            if (id) out.push({ system: id.system, code: id.value });
          } else if (typeof n.data === "string") out.push(n.data.split("|")[0]);
          else if (typeof d?.reference === "string") out.push(d.reference.split("/_history")[0]);
          break;
        case "date":
          if (typeof n.data === "string") out.push(dateRange(n.data));
          else if (n.type === "Period") {
            const s = typeof d.start === "string" ? dateRange(d.start) : undefined;
            const e = typeof d.end === "string" ? dateRange(d.end) : undefined;
            if (s || e) out.push({ lo: s?.lo ?? MIN_DATE, hi: e?.hi ?? MAX_DATE });
          } else if (n.type === "Timing") {
            for (const ev of (d.event as string[] | undefined) ?? []) out.push(dateRange(ev));
          }
          break;
        case "number":
          if (typeof n.data === "number") out.push(n.data);
          else if (n.data !== null && typeof n.data === "object" && "value" in (n.data as object)) out.push(Number((n.data as Obj).value));
          break;
        case "quantity":
          if (d && typeof d.value === "number") {
            out.push(n.type === "Money" ? { value: d.value, system: "urn:iso:std:iso:4217", code: d.currency } : d);
          }
          break;
        case "uri":
          if (typeof n.data === "string") out.push(n.data);
          break;
      }
    }
    return out.filter((c) => c !== undefined && c !== null);
  }

  private valueMatches(type: string, c: unknown, v: SearchValue, f: { modifier?: string; targetType?: string }): boolean {
    switch (type) {
      case "string": {
        const s = c as string;
        if (f.modifier === "exact") return s === v.value;
        if (f.modifier === "contains") return normalizeString(s).includes(normalizeString(v.value));
        return normalizeString(s).startsWith(normalizeString(v.value));
      }
      case "token":
      case "identifier": {
        const t = c as { system?: string; code?: string; text?: string };
        if (f.modifier === "text") return typeof t.text === "string" && normalizeString(t.text).startsWith(normalizeString(v.value));
        if (t.code === undefined && v.value !== "") return false;
        if (v.system === undefined) return t.code === v.value;
        if (v.system === "") return t.code === v.value && !t.system;
        if (v.value === "") return t.system === v.system;
        return t.code === v.value && t.system === v.system;
      }
      case "reference": {
        if (f.modifier === "identifier") return this.valueMatches("token", c, v, {});
        const ref = c as string;
        if (f.targetType) return ref === `${f.targetType}/${v.value.split("/").pop()}`;
        if (/^[a-z][a-z0-9+.-]*:/i.test(v.value)) return ref === v.value.split("|")[0];
        if (v.value.startsWith("#")) return ref === v.value;
        if (v.value.includes("/")) return ref === v.value.split("/_history")[0];
        return !/^[a-z][a-z0-9+.-]*:/i.test(ref) && !ref.startsWith("#") && ref.split("/")[1] === v.value;
      }
      case "date":
        return this.dateMatch(c as { lo: number; hi: number }, v);
      case "number":
        return numberMatches(v.prefix ?? "eq", c as number, v.value);
      case "quantity": {
        const q = c as { value: number; system?: string; code?: string; unit?: string };
        const ucum = canonicalConverter(v.system, v.unit);
        const norm = canonicalQuantity(q.value, q.system, q.code);
        if (ucum && norm) return norm.unit === ucum.unit && numberMatches(v.prefix ?? "eq", norm.value, v.value, ucum.convert);
        if (ucum) return q.system === v.system && q.code === v.unit && numberMatches(v.prefix ?? "eq", q.value, v.value);
        if (!numberMatches(v.prefix ?? "eq", q.value, v.value)) return false;
        if (v.system === undefined) return true;
        if (v.system !== "" && q.system !== v.system) return false;
        if (v.unit) return v.system !== "" ? q.code === v.unit : q.code === v.unit || q.unit === v.unit;
        return true;
      }
      case "uri": {
        const u = c as string;
        if (f.modifier === "below") return u.startsWith(v.value);
        if (f.modifier === "above") return v.value.startsWith(u);
        return u === v.value;
      }
    }
    return false;
  }

  private dateMatch(c: { lo: number; hi: number }, v: SearchValue): boolean {
    const p = dateRange(v.value)!;
    return dateMatches(v.prefix ?? "eq", c.lo, c.hi, p.lo, p.hi, this.now);
  }

  private sortKey(r: FixtureResource, code: string, descending: boolean): string | number | undefined {
    if (code === "_id") return r.id;
    if (code === "_lastUpdated") return r.meta!.lastUpdated;
    const def = paramFor(r.resourceType, code)!;
    const cands = this.candidates(def.type, this.values(r, code), {});
    let keys: (string | number)[];
    switch (def.type) {
      case "string": keys = (cands as string[]).map(normalizeString); break;
      case "token": keys = (cands as { code?: string }[]).flatMap((t) => (t.code ? [t.code] : [])); break;
      case "date": keys = (cands as { lo: number; hi: number }[]).map((d) => (descending ? d.hi : d.lo)); break;
      case "quantity": keys = (cands as { value: number }[]).map((q) => q.value); break;
      default: keys = cands as (string | number)[];
    }
    if (keys.length === 0) return undefined;
    return keys.reduce((a, b) => ((descending ? b > a : b < a) ? b : a));
  }
}

function strings(o: Obj, keys: string[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const v = o[k];
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === "string") out.push(x);
  }
  return out;
}
