import type { StatementSync } from "node:sqlite";
import type { SearchParamDef } from "../../../../../fhir/search/searchParameters.ts";
import type { SearchParamType } from "../../../../../ports/SearchRequest.ts";
import type { ParamFilter, SearchValue } from "../../../../../ports/SearchRequest.ts";
import type { SearchRow } from "../../../../../fhir/search/types/index.ts";
import type { SqlFragment } from "../compileSearch.ts";
import type { Ctx, Form, TypeScope } from "../conditionParts.ts";
import type { SearchKey } from "../searchKey.ts";

/** An index table: its value columns (after the shared key columns) and its value indexes. */
export interface SearchTable {
  name: string;
  columns: string;
  indexes: string;
}

/**
 * Inserts one kind of row into its table; `run` binds (rid, type, param, seq, grp, …the table's
 * value columns), sealing or blinding with `key` what the table keeps blind.
 */
export interface RowWriter<R extends SearchRow = SearchRow> {
  readonly kind: R["kind"];
  readonly table: string;
  /** rows are numbered per parameter (as the migration that made the table numbers them) */
  readonly seqPerParam?: boolean;
  run(insert: StatementSync, rid: number | bigint, type: string, seq: number, r: R, key: SearchKey): void;
}

/** A condition on one index row (alias `x`) for one OR-value. */
export type RowCondition = (
  x: string,
  f: { modifier?: string; targetType?: string; code?: string },
  v: SearchValue,
  now: number,
) => SqlFragment;

/** Where a parameter's condition goes: on resource alias `a` of `type`, reading the rows of `scope`. */
export interface ParamSite {
  type: string;
  a: string;
  ctx: Ctx;
  form: Form;
  scope: TypeScope;
  /** the table and the row condition of another type (a composite's components) */
  tableOf(type: SearchParamType): string;
  rowCondition(type: SearchParamType, x: string, v: SearchValue): SqlFragment;
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
  readonly rowCondition?: RowCondition;
  /** the whole condition of a filter, for a type whose values are not one row each (composite, special) */
  paramCondition?(f: ParamFilter, def: SearchParamDef, site: ParamSite): SqlFragment;
  /** the rows a filter reads when they are another type's (reference `:identifier`: token rows) */
  rowsOf?(f: ParamFilter): { type: SearchParamType; param: string } | undefined;
  /** the column (or expression) a sort on parameter `code` reads (its MIN ascending, its MAX descending) */
  sortColumn?(descending: boolean, code: string): string;
  /** how likely a filter (without :missing, :not, :contains) is to match few rows; 0: never drives */
  selectivity(f: ParamFilter): number;
}
