import type { SearchRequest } from "./SearchRequest.ts";
import type { VersionRow } from "./VersionStore.ts";

/** One page of search results, as version rows (the records layer decrypts them). */
export interface SearchPage {
  matches: VersionRow[];
  included: VersionRow[];
  /** Number of matches over all pages, when asked for. */
  total: number | null;
  /** Cursor continuing after this page; null on the last page. */
  nextCursor: string | null;
  /** Includes stopped at the include depth limit or at `maxIncludes` with more still to add. */
  includesTruncated?: boolean;
}

/** How a search is run, and the caps on what it may cost. */
export interface SearchOptions {
  /** Rounds of `:iterate` includes (default 3). */
  maxIncludeDepth?: number;
  /** Count every match over all pages (Bundle.total). */
  countTotal?: boolean;
  /** SQL terms the search may compile to (default 1000); more is a 400 `too-costly`. */
  maxTerms?: number;
  /** Resources `_include`/`_revinclude` may add to the page (default 10000); more are cut off (`includesTruncated`). */
  maxIncludes?: number;
}

/**
 * FHIR search over the current versions. The query arrives parsed, as plain data
 * (SearchRequest); how values are stored and matched is the adapter's business, kept in step
 * with every `VersionStore` commit.
 */
export interface SearchIndex {
  /** Runs a parsed search; returns the current versions of a page of matches and of what it includes. */
  search(request: SearchRequest, options?: SearchOptions): Promise<SearchPage>;
}
