import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import type { SqlFragment } from "./compileSearch.ts";

function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

export type CursorValue = string | number | null;

/** `_cursor` values are base64url JSON: the last row's sort keys, then its rid. */
export function encodeCursor(values: unknown[], sortCount: number): string {
  const clean = values.map((v) => (typeof v === "bigint" ? Number(v) : v));
  if (clean.length !== sortCount + 1) throw new FhirLedgerError("internal", "Cursor row lacks sort keys");
  return Buffer.from(JSON.stringify(clean)).toString("base64url");
}

/** Reads a `_cursor` back, checking it fits a search with `sortCount` sort keys. */
export function decodeCursor(cursor: string, sortCount: number): CursorValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("Malformed _cursor");
  }
  const ok =
    Array.isArray(values) &&
    values.length === sortCount + 1 &&
    values.every((v) => v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) &&
    Number.isSafeInteger(values[sortCount]);
  if (!ok) throw invalid("_cursor does not belong to this search");
  return values as CursorValue[];
}

/** Rows strictly after the cursor in (key1 [DESC], …, rid [DESC]) order, NULL keys last. */
export function keysetCondition(keys: (SqlFragment & { descending: boolean })[], cursor: CursorValue[], ridDescending = false): SqlFragment {
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

