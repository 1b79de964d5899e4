import { dateRange, MAX_DATE, MIN_DATE } from "../dateRange.ts";
import type { TypedValue } from "../fhirPathPlan.ts";
import type { SearchRow } from "./index.ts";
import type { RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { formatPlain, parseOrdered } from "./values.ts";

/** An inclusive [lo, hi] range of epoch milliseconds. */
export type DateRow = RowBase & { kind: "date"; lo: number; hi: number };

const DATE_ROWS: RowCodec<DateRow> = {
  kind: "date",
  width: 2,
  key: (r) => `d\u0000${r.grp}\u0000${r.lo}\u0000${r.hi}`,
  pack: (r, out) => out.push(r.lo, r.hi),
  unpack: (numbers, at, _, param, grp) => ({ kind: "date", param, grp, lo: numbers[at]!, hi: numbers[at + 1]! }),
};

function dateRows(param: string, grp: number, tv: TypedValue, rows: SearchRow[]): void {
  const v = tv.value;
  if (typeof v === "string") {
    const r = dateRange(v);
    if (r) rows.push({ kind: "date", param, grp, lo: r.lo, hi: r.hi });
    return;
  }
  if (typeof v !== "object" || v === null) return;
  const o = v as Record<string, unknown>;
  if (tv.type === "Period") {
    const start = typeof o.start === "string" ? dateRange(o.start) : undefined;
    const end = typeof o.end === "string" ? dateRange(o.end) : undefined;
    if (start || end) rows.push({ kind: "date", param, grp, lo: start?.lo ?? MIN_DATE, hi: end?.hi ?? MAX_DATE });
    return;
  }
  if (tv.type === "Timing") {
    if (Array.isArray(o.event))
      for (const e of o.event) dateRows(param, grp, { value: e, type: "dateTime", typePath: "dateTime" }, rows);
    const repeat = o.repeat as Record<string, unknown> | undefined;
    if (repeat && typeof repeat.boundsPeriod === "object") {
      dateRows(param, grp, { value: repeat.boundsPeriod, type: "Period", typePath: "Period" }, rows);
    }
  }
}

/**
 * date: a prefix and a date of any precision, matched as ranges (a Period, a Timing's events
 * and bounds included).
 * @see https://hl7.org/fhir/R4/search.html#date
 */
export const dateType: SearchTypeModule = {
  searchable: true,
  modifiers: ["missing"],
  sortable: true,
  parse: (piece) => parseOrdered(piece, (text) => dateRange(text) !== undefined),
  format: formatPlain,
  extract: (param, grp, tv, _root, rows) => dateRows(param, grp, tv, rows),
  rows: [DATE_ROWS],
};
