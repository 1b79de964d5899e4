/**
 * The oracle's value-level R4 matching rules, in plain TypeScript: which values a FHIRPath
 * result offers for a parameter type (candidates), and whether one of them matches a search
 * value with its prefix and modifier (valueMatches). See oracle.ts.
 */
import { canonicalConverter, canonicalQuantity } from "../../../../../fhir/search/canonicalQuantity.ts";
import { dateRange, MAX_DATE, MIN_DATE } from "../../../../../fhir/search/dateRange.ts";
import { dateMatches, numberMatches } from "../../../../../fhir/search/matchSemantics.ts";
import { normalizeString } from "../../../../../fhir/search/normalizeString.ts";
import type { SearchValue } from "../../../../../ports/SearchRequest.ts";

/** One FHIRPath result: its FHIR type, its JSON value and where it sits. */
export interface Node {
  type: string;
  data: unknown;
  path: string;
}

type Obj = Record<string, unknown>;

export class OracleValueRules {
  readonly now: number;
  private normalized = new Map<string, string>();
  private queryDates = new Map<string, { lo: number; hi: number }>();

  constructor(now: number) {
    this.now = now;
  }

  /** normalizeString, memoised (string matching normalises the same values for every query). */
  norm(s: string): string {
    let n = this.normalized.get(s);
    if (n === undefined) {
      n = normalizeString(s);
      if (this.normalized.size < 1_000_000) this.normalized.set(s, n);
    }
    return n;
  }

  /** Turns FHIRPath results into comparable candidates for a parameter type. */
  candidates(type: string, nodes: Node[], f: { modifier?: string }): unknown[] {
    const out: unknown[] = [];
    for (const n of nodes) {
      const d = n.data as Obj;
      switch (type) {
        case "string":
          if (typeof n.data === "string") out.push(n.data);
          else if (n.type === "HumanName") out.push(...strings(d, ["text", "family", "given", "prefix", "suffix"]));
          else if (n.type === "Address")
            out.push(...strings(d, ["text", "line", "city", "district", "state", "postalCode", "country"]));
          break;
        case "token":
          if (typeof n.data === "boolean" || typeof n.data === "string") out.push({ code: String(n.data) });
          else if (n.type === "Coding") out.push({ system: d.system, code: d.code, text: d.display });
          else if (n.type === "CodeableConcept") {
            for (const c of (d.coding as Obj[] | undefined) ?? [])
              out.push({ system: c.system, code: c.code, text: c.display });
            if (d.text) out.push({ text: d.text });
          } else if (n.type === "Identifier")
            out.push({ system: d.system, code: d.value, text: (d.type as Obj | undefined)?.text });
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
          else if (n.data !== null && typeof n.data === "object" && "value" in (n.data as object))
            out.push(Number((n.data as Obj).value));
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

  valueMatches(type: string, c: unknown, v: SearchValue, f: { modifier?: string; targetType?: string }): boolean {
    switch (type) {
      case "string": {
        const s = c as string;
        if (f.modifier === "exact") return s === v.value;
        if (f.modifier === "contains") return this.norm(s).includes(this.norm(v.value));
        return this.norm(s).startsWith(this.norm(v.value));
      }
      case "token":
      case "identifier": {
        const t = c as { system?: string; code?: string; text?: string };
        if (f.modifier === "text")
          return typeof t.text === "string" && this.norm(t.text).startsWith(this.norm(v.value));
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
        if (ucum && norm)
          return norm.unit === ucum.unit && numberMatches(v.prefix ?? "eq", norm.value, v.value, ucum.convert);
        if (ucum)
          return q.system === v.system && q.code === v.unit && numberMatches(v.prefix ?? "eq", q.value, v.value);
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

  dateMatch(c: { lo: number; hi: number }, v: SearchValue): boolean {
    let p = this.queryDates.get(v.value);
    if (!p) this.queryDates.set(v.value, (p = dateRange(v.value)!));
    return dateMatches(v.prefix ?? "eq", c.lo, c.hi, p.lo, p.hi, this.now);
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
