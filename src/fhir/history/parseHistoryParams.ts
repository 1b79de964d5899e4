import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import { dateRange } from "../search/dateRange.ts";

export const DEFAULT_HISTORY_COUNT = 50;
export const MAX_HISTORY_COUNT = 1000;

/** The history parameters of a request, checked and normalised (instants as ISO UTC). */
export interface HistoryParams {
  /** `_since` as given (for links) and as an ISO instant (for the query). */
  since?: { text: string; iso: string };
  /** `_at` as given and as the ISO instants bounding its precision. */
  at?: { text: string; from: string; to: string };
  count: number;
  /** System level: `_type` restriction. */
  types?: string[];
  cursor?: string;
  /** `_total=accurate` asks for Bundle.total, `none`/`estimate` leave it out; undefined when not given. */
  total?: boolean;
  /** Parameters other than these; ignored by history (reported by the caller if it likes). */
  ignored: string[];
}

const KNOWN = new Set(["_since", "_at", "_count", "_type", "_cursor", "_total", "_format", "_pretty"]);

/**
 * Parses `_since`, `_at`, `_count` (default 50, at most 1000: larger values are capped; 0
 * asks for no entries), `_type`, `_total` and the paging cursor. Malformed values are a 400 that names the parameter.
 * @see https://hl7.org/fhir/R4/http.html#history
 */
export function parseHistoryParams(query: URLSearchParams, options: { allowTypes: boolean }): HistoryParams {
  const params: HistoryParams = { count: DEFAULT_HISTORY_COUNT, ignored: [] };
  const single = (name: string): string | undefined => {
    const all = query.getAll(name);
    if (all.length > 1) throw invalid(name, `${name} may be given once`);
    return all[0];
  };
  // An unencoded "+01:00" arrives as " 01:00" (form decoding): read it as the offset it was.
  const instant = (text: string | undefined) => text?.replace(/ ([0-9]{2}:[0-9]{2})$/, "+$1");
  const since = instant(single("_since"));
  if (since !== undefined) {
    const range = dateRange(since);
    if (!range) throw invalid("_since", "_since must be an instant such as 2024-01-31T12:00:00Z");
    params.since = { text: since, iso: isoInstant(range.lo) };
  }
  const at = instant(single("_at"));
  if (at !== undefined) {
    const range = dateRange(at);
    if (!range) throw invalid("_at", "_at must be a date or dateTime such as 2024-01-31T12:00:00Z");
    params.at = { text: at, from: isoInstant(range.lo), to: isoInstant(range.hi) };
  }
  const count = single("_count");
  if (count !== undefined) {
    // 0 is allowed, as in search: no entries, only the total where history gives one.
    if (!/^[0-9]{1,9}$/.test(count)) throw invalid("_count", "_count must be a non-negative integer");
    params.count = Math.min(Number(count), MAX_HISTORY_COUNT);
  }
  const types = query
    .getAll("_type")
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (types.length > 0) {
    if (!options.allowTypes) throw invalid("_type", "_type applies to system-level history only");
    const unknown = types.find((t) => !isResourceType(t));
    if (unknown !== undefined) throw invalid("_type", `_type names an unknown resource type: ${unknown.slice(0, 64)}`);
    params.types = [...new Set(types)].slice(0, 200);
  }
  const total = single("_total");
  if (total !== undefined) {
    if (!["none", "estimate", "accurate"].includes(total))
      throw invalid("_total", "_total must be none, estimate or accurate");
    params.total = total === "accurate";
  }
  const cursor = single("_cursor");
  if (cursor !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalid("_cursor", "malformed _cursor");
    params.cursor = cursor;
  }
  for (const key of new Set(query.keys())) if (!KNOWN.has(key)) params.ignored.push(key.slice(0, 64));
  return params;
}

/** The parameters again, for self and next links (the cursor replaced by `cursor`). */
export function formatHistoryParams(params: HistoryParams, cursor?: string | null): string {
  const q = new URLSearchParams();
  if (params.since) q.set("_since", params.since.text);
  if (params.at) q.set("_at", params.at.text);
  if (params.types) q.set("_type", params.types.join(","));
  if (params.total !== undefined) q.set("_total", params.total ? "accurate" : "none");
  q.set("_count", String(params.count));
  if (cursor) q.set("_cursor", cursor);
  return q.toString();
}

/** Epoch milliseconds as the ISO form the index stores, clamped to years 0000-9999 so strings compare. */
export function isoInstant(ms: number): string {
  const lo = -62167219200000; // 0000-01-01T00:00:00.000Z
  const hi = 253402300799999; // 9999-12-31T23:59:59.999Z
  return new Date(Math.min(Math.max(ms, lo), hi)).toISOString();
}

function invalid(name: string, message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: [name] }],
  });
}
