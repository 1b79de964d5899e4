import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import type { SqlFragment } from "./compileSearch.ts";

function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

export type CursorValue = string | number | null;

/**
 * Where a walk through the pages of a search stands.
 *
 * Under the default order or `_sort=_id` a resource never moves, so the last row's keys are
 * enough. Under a sort on values that change on update, a resource updated during the walk
 * moves, and would be skipped if it moved before the page being read; such a walk goes in two
 * phases, both keyed on `seq`, the commit sequence of a resource's current version (its log
 * leaf: assigned in commit order, so every version committed after a read has a higher one):
 * - `sorted`: the rows after `keys` in the search's order, among the resources unchanged since
 *   the walk began (current version's seq ≤ `watermark`), which therefore keep their place.
 *   No watermark: a first page, or a cursor from before watermarks; the page reads one.
 * - `changed`: then the resources that match now and changed (or were created) after the
 *   watermark, in seq order after `afterSeq`; one changed again moves later, never before.
 */
export type SearchCursor =
  | { phase: "sorted"; keys: CursorValue[]; watermark?: number }
  | { phase: "changed"; afterSeq: number };

/**
 * `_cursor` values are base64url JSON. The last row's sort keys then its rid (`[k…, rid]`),
 * as they always were; under a sort on values that change, `{"k": [k…, rid], "w": watermark}`
 * and `{"s": seq}` for the two phases.
 */
export function encodeCursor(values: unknown[], sortCount: number, watermark?: number): string {
  const clean = values.map((v) => (typeof v === "bigint" ? Number(v) : v));
  if (clean.length !== sortCount + 1) throw new FhirLedgerError("internal", "Cursor row lacks sort keys");
  return toBase64url(watermark === undefined ? clean : { k: clean, w: watermark });
}

/** The cursor of the `changed` phase, continuing after the version with commit sequence `seq`. */
export function encodeChangedCursor(seq: number): string {
  return toBase64url({ s: seq });
}

function toBase64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/**
 * Reads a `_cursor` back, checking it fits a search with `sortCount` sort keys; `mutable`: the
 * sort has a key that changes on update (only such a search takes the two-phase forms).
 */
export function decodeCursor(cursor: string, sortCount: number, mutable = false): SearchCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("Malformed _cursor");
  }
  const foreign = invalid("_cursor does not belong to this search");
  if (Array.isArray(value)) return { phase: "sorted", keys: checkKeys(value, sortCount, foreign) };
  if (!mutable || typeof value !== "object" || value === null) throw foreign;
  const fields = Object.keys(value);
  const { k, w, s } = value as Record<string, unknown>;
  if (fields.length === 1 && isSeq(s)) return { phase: "changed", afterSeq: s };
  if (fields.length === 2 && Array.isArray(k) && isSeq(w))
    return { phase: "sorted", keys: checkKeys(k, sortCount, foreign), watermark: w };
  throw foreign;
}

function isSeq(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function checkKeys(values: unknown[], sortCount: number, foreign: FhirLedgerError): CursorValue[] {
  const ok =
    values.length === sortCount + 1 &&
    values.every((v) => v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) &&
    Number.isSafeInteger(values[sortCount]);
  if (!ok) throw foreign;
  return values as CursorValue[];
}

/** Rows strictly after the cursor in (key1 [DESC], …, rid [DESC]) order, NULL keys last. */
export function keysetCondition(
  keys: (SqlFragment & { descending: boolean })[],
  cursor: CursorValue[],
  ridDescending = false,
): SqlFragment {
  const alternatives: string[] = [];
  const args: SQLInputValue[] = [];
  const equalSoFar: SqlFragment[] = [];
  const push = (beyond: SqlFragment) => {
    alternatives.push([...equalSoFar.map((e) => e.sql), beyond.sql].join(" AND "));
    args.push(...equalSoFar.flatMap((e) => e.args), ...beyond.args);
  };
  keys.forEach((k, i) => {
    const v = cursor[i]!;
    if (v !== null) {
      push({ sql: `(${k.sql} IS NULL OR ${k.sql} ${k.descending ? "<" : ">"} ?)`, args: [...k.args, ...k.args, v] });
      equalSoFar.push({ sql: `${k.sql} = ?`, args: [...k.args, v] });
    } else {
      equalSoFar.push({ sql: `${k.sql} IS NULL`, args: [...k.args] });
    }
  });
  push({ sql: `r.rid ${ridDescending ? "<" : ">"} ?`, args: [cursor[keys.length]!] });
  return { sql: `(${alternatives.map((a) => `(${a})`).join(" OR ")})`, args };
}
