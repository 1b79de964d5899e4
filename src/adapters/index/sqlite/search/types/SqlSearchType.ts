import type { StatementSync } from "node:sqlite";
import type { ParamFilter, SearchValue } from "../../../../../fhir/search/SearchRequest.ts";
import type { SearchRow } from "../../../../../fhir/search/types/index.ts";
import type { SqlFragment } from "../compileSearch.ts";

/** An index table: its value columns (after the shared key columns) and its value indexes. */
export interface SearchTable {
  name: string;
  columns: string;
  indexes: string;
}

/** Inserts one kind of row into its table; `run` binds (rid, type, param, seq, grp, …the table's value columns). */
export interface RowWriter<R extends SearchRow = SearchRow> {
  readonly kind: R["kind"];
  readonly table: string;
  /** rows are numbered per parameter (as the migration that made the table numbers them) */
  readonly seqPerParam?: boolean;
  run(insert: StatementSync, rid: number | bigint, type: string, seq: number, r: R): void;
}

/**
 * The SQLite half of a search-parameter type (the engine half is src/fhir/search/types/): the
 * table its rows go to, how they are written, and the conditions and sort keys read from it.
 */
export interface SqlSearchType {
  /** the table of the type's rows (none for special) */
  readonly table?: SearchTable;
  /** more DDL after every table and index (triggers) */
  readonly ddl?: string;
  readonly writers: readonly RowWriter[];
  /** the condition on one row (alias `x`) for one OR-value */
  rowCondition?(x: string, f: { modifier?: string; targetType?: string }, v: SearchValue, now: number): SqlFragment;
  /** the column a sort reads (its MIN ascending, its MAX descending) */
  sortColumn?(descending: boolean): string;
  /** how likely a filter (without :missing, :not, :contains) is to match few rows; 0: never drives */
  selectivity(f: ParamFilter): number;
}
