import { numberRange } from "./searchValueSyntax.ts";
import type { Prefix } from "../../ports/SearchRequest.ts";

/**
 * Widening used by the `ap` prefix: 10% of the distance between now and the searched value
 * (dates), or 10% of the value (numbers and quantities).
 * @see https://hl7.org/fhir/R4/search.html#prefix
 */
export function approxDateMargin(lo: number, now: number): number {
  return Math.abs(now - lo) * 0.1;
}

/** The bounds a number/quantity search value is compared with, per prefix. */
export function numberBounds(text: string): { value: number; lo: number; hi: number; apLo: number; apHi: number } {
  const r = numberRange(text);
  const margin = Math.abs(r.value) * 0.1;
  return { ...r, apLo: r.value - margin, apHi: r.value + margin };
}

/**
 * R4 date matching of a resource range [rlo, rhi] against a search range [plo, phi].
 * This is the reference implementation the SQL compiler mirrors.
 */
export function dateMatches(prefix: Prefix, rlo: number, rhi: number, plo: number, phi: number, now: number): boolean {
  const contained = rlo >= plo && rhi <= phi;
  switch (prefix) {
    case "eq":
      return contained;
    case "ne":
      return !contained;
    case "gt":
      return rhi > phi;
    case "lt":
      return rlo < plo;
    case "ge":
      return rhi > phi || contained;
    case "le":
      return rlo < plo || contained;
    case "sa":
      return rlo > phi;
    case "eb":
      return rhi < plo;
    case "ap": {
      const w = approxDateMargin(plo, now);
      return rlo <= phi + w && rhi >= plo - w;
    }
  }
}

/**
 * R4 number matching of a resource value against a search number (with its implicit precision).
 * `convert` maps the search bounds into the resource value's unit (UCUM canonical form).
 */
export function numberMatches(
  prefix: Prefix,
  v: number,
  text: string,
  convert: (n: number) => number = (n) => n,
): boolean {
  const raw = numberBounds(text);
  const b = {
    value: convert(raw.value),
    lo: convert(raw.lo),
    hi: convert(raw.hi),
    apLo: convert(raw.apLo),
    apHi: convert(raw.apHi),
  };
  switch (prefix) {
    case "eq":
      return v >= b.lo && v < b.hi;
    case "ne":
      return !(v >= b.lo && v < b.hi);
    case "gt":
    case "sa":
      return v > b.value;
    case "lt":
    case "eb":
      return v < b.value;
    case "ge":
      return v >= b.value;
    case "le":
      return v <= b.value;
    case "ap":
      return v >= b.apLo && v <= b.apHi;
  }
}
