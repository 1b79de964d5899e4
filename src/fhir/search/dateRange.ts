/**
 * FHIR date/dateTime/instant values as inclusive [lo, hi] ranges of epoch milliseconds,
 * honouring the value's precision ("2020" covers the whole year).
 * Values without a time zone are read as UTC.
 * @see https://hl7.org/fhir/R4/search.html#date
 */
export interface DateRange {
  lo: number;
  hi: number;
}

/** Bounds used for open-ended periods (±100 million days, the JS Date limits). */
export const MIN_DATE = -8_640_000_000_000_000;
export const MAX_DATE = 8_640_000_000_000_000;

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(Date.UTC(2000, mo, d, h, mi, s, ms));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getTime();
}

/** Parses a FHIR date, dateTime or instant into its range; undefined when malformed. */
export function dateRange(text: string): DateRange | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] === undefined ? undefined : Number(m[2]);
  const d = m[3] === undefined ? undefined : Number(m[3]);
  if (mo !== undefined && (mo < 1 || mo > 12)) return undefined;
  if (mo === undefined) return { lo: utc(y, 0, 1), hi: utc(y + 1, 0, 1) - 1 };
  if (d === undefined) return { lo: utc(y, mo - 1, 1), hi: utc(y, mo, 1) - 1 };
  if (d < 1 || d > 31 || new Date(utc(y, mo - 1, d)).getUTCMonth() !== mo - 1) return undefined;
  if (m[4] === undefined) return { lo: utc(y, mo - 1, d), hi: utc(y, mo - 1, d + 1) - 1 };
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = m[6] === undefined ? undefined : Number(m[6]);
  if (h > 24 || mi > 59 || (s !== undefined && s > 60)) return undefined;
  let offset = 0;
  const tz = m[8];
  if (tz !== undefined && tz !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const th = Number(tz.slice(1, 3));
    const tm = Number(tz.slice(4, 6));
    if (th > 14 || tm > 59) return undefined;
    offset = sign * (th * 60 + tm) * 60_000;
  }
  if (s === undefined) {
    const lo = utc(y, mo - 1, d, h, mi) - offset;
    return { lo, hi: lo + 60_000 - 1 };
  }
  const frac = m[7];
  if (frac === undefined) {
    const lo = utc(y, mo - 1, d, h, mi, s) - offset;
    return { lo, hi: lo + 999 };
  }
  const digits = Math.min(frac.length, 3);
  const ms = Number(frac.slice(0, 3).padEnd(3, "0"));
  const lo = utc(y, mo - 1, d, h, mi, s, ms) - offset;
  return { lo, hi: lo + 10 ** (3 - digits) - 1 };
}

/** ISO-8601 instant with milliseconds, clamped to the years 0000–9999 (for comparing with stored instants). */
export function toInstant(ms: number): string {
  const clamped = Math.min(Math.max(ms, -62_167_219_200_000), 253_402_300_799_999);
  const iso = new Date(clamped).toISOString();
  // Years < 0 or > 9999 would be six-digit; clamping keeps four digits so text order = time order.
  return iso;
}
