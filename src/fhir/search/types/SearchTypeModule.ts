import type { Evaluator, TypedValue } from "../fhirPathPlan.ts";
import type { SearchParamType } from "../../../ports/SearchRequest.ts";
import type { SearchValue } from "../../../ports/SearchRequest.ts";
import type { SearchRow } from "./index.ts";

/** The columns every index row has. */
export interface RowBase {
  /** parameter code; composite components use `<code>$<index>` */
  param: string;
  /** 0, or for composite components the number of the element they were found in (ties components together) */
  grp: number;
}

/**
 * One kind of index row as it travels packed (see packedRows.ts): after the kind, parameter and
 * group, `width` numbers; a string is its index in the strings column (-1 for null), a
 * nullable number is NaN for null.
 */
export interface RowCodec<R extends SearchRow = SearchRow> {
  readonly kind: R["kind"];
  readonly width: number;
  /** rows of one parameter with equal keys are one value (extraction keeps the first) */
  key(r: R): string;
  pack(r: R, out: number[], str: (value: string | null) => number): void;
  /** the row whose fields start at `at` (`str(i)`: the string numbers[i] stands for) */
  unpack(numbers: Float64Array, at: number, str: (i: number) => string | null, param: string, grp: number): R;
}

/** A composite's components, compiled once per resource type (see extractSearchValues). */
export interface CompositeParts {
  components: readonly CompiledComponent[];
  /** a token×quantity composite: one row per pair instead of component rows */
  pairs: boolean;
}

export interface CompiledComponent {
  /** `<code>$<index>` */
  param: string;
  type: SearchParamType;
  module: SearchTypeModule;
  /** the component's expression, relative to the composite's focus element */
  evaluate: Evaluator;
}

/**
 * What the FHIR engine knows about one search-parameter type: the value syntax (parse and its
 * inverse), the modifiers it takes, and the index rows an element yields. Its SQL half (table,
 * indexes, conditions) is the adapter's, under src/adapters/index/sqlite/search/types/.
 * @see https://hl7.org/fhir/R4/search.html#ptypes
 */
export interface SearchTypeModule {
  /** false for a type we don't search at all (special) */
  readonly searchable: boolean;
  /** modifiers implemented (a reference also takes a resource type) */
  readonly modifiers: readonly string[];
  /** `_sort` accepts it */
  readonly sortable: boolean;
  /**
   * One OR-alternative of a value, escapes still in place (`\,` was split on already);
   * undefined when malformed.
   */
  parse(piece: string, modifier: string | undefined): SearchValue | undefined;
  /** The inverse of parse (escaped), for self and next links. */
  format(v: SearchValue): string;
  /**
   * The index rows of one element the parameter's expression found, appended to `rows`
   * (a composite: of one focus element, numbered `grp`, with its compiled `parts`).
   */
  extract(
    param: string,
    grp: number,
    element: TypedValue,
    root: Record<string, unknown>,
    rows: SearchRow[],
    parts?: CompositeParts,
  ): void;
  /** the kinds of row extract writes */
  readonly rows: readonly RowCodec[];
}
