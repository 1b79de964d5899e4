import fhirpath from "fhirpath";

/** UCUM, the only unit system we convert. @see https://hl7.org/fhir/R4/search.html#quantity */
export const UCUM = "http://unitsofmeasure.org";

interface UcumUtils {
  convertToBaseUnits(
    unit: string,
    value: number,
  ): {
    status: string;
    magnitude?: number;
    unitToExp?: Record<string, number>;
    fromUnitIsSpecial?: boolean;
  };
}
const ucum = (fhirpath as unknown as { ucumUtils: UcumUtils }).ucumUtils;

interface Factor {
  magnitude: number;
  /** base-unit dimension, e.g. "g", "g.m-1.s-2", "1" for dimensionless */
  unit: string;
}
const factors = new Map<string, Factor | null>();
const CACHE_LIMIT = 5_000;

/** Multiplier and base unit for a UCUM code; null when unknown or non-linear (Cel, [degF], logs). */
function factor(code: string): Factor | null {
  let f = factors.get(code);
  if (f !== undefined) return f;
  f = null;
  if (code.length <= 64) {
    try {
      const r = ucum.convertToBaseUnits(code, 1);
      if (
        r.status === "succeeded" &&
        !r.fromUnitIsSpecial &&
        typeof r.magnitude === "number" &&
        r.magnitude > 0 &&
        Number.isFinite(r.magnitude)
      ) {
        const parts = Object.entries(r.unitToExp ?? {})
          .filter(([, e]) => e !== 0)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([u, e]) => (e === 1 ? u : `${u}${e}`));
        f = { magnitude: r.magnitude, unit: parts.length > 0 ? parts.join(".") : "1" };
      }
    } catch {
      f = null;
    }
  }
  if (factors.size >= CACHE_LIMIT) factors.clear();
  factors.set(code, f);
  return f;
}

/** Twelve significant digits: unit conversion must not make equal quantities unequal. */
function round(n: number): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  const scale = 10 ** (11 - Math.floor(Math.log10(Math.abs(n))));
  return Number.isFinite(scale) && scale > 0 ? Math.round(n * scale) / scale : n;
}

/**
 * A quantity in UCUM base units (e.g. 160 [lb_av] → 72574.8 g), so that searches match
 * across units; undefined when the system is not UCUM or the unit can't be converted linearly.
 */
export function canonicalQuantity(
  value: number,
  system: string | null | undefined,
  code: string | null | undefined,
): { value: number; unit: string } | undefined {
  if (system !== UCUM || !code || !Number.isFinite(value)) return undefined;
  const f = factor(code);
  if (!f) return undefined;
  const v = round(value * f.magnitude);
  return Number.isFinite(v) ? { value: v, unit: f.unit } : undefined;
}

/** The base unit and a converter for search bounds given in `code`; undefined when not convertible. */
export function canonicalConverter(
  system: string | undefined,
  code: string | undefined,
): { unit: string; convert: (n: number) => number } | undefined {
  if (system !== UCUM || !code) return undefined;
  const f = factor(code);
  if (!f) return undefined;
  return { unit: f.unit, convert: (n) => round(n * f.magnitude) };
}
