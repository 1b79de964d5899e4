import type { SearchParamType } from "../../../ports/SearchRequest.ts";
import { compositeType, type TokenQuantityRow } from "./composite.ts";
import { type DateRow, dateType } from "./date.ts";
import { type NumberRow, numberType } from "./number.ts";
import { type QuantityRow, quantityType } from "./quantity.ts";
import { type ReferenceRow, referenceType } from "./reference.ts";
import type { RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
import { specialType } from "./special.ts";
import { type StringRow, stringType } from "./string.ts";
import { type TokenRow, tokenType } from "./token.ts";
import { type UriRow, uriType } from "./uri.ts";

export type { CompiledComponent, CompositeParts, RowBase, RowCodec, SearchTypeModule } from "./SearchTypeModule.ts";
export type { QuantityFields } from "./quantity.ts";
export type { DateRow, NumberRow, QuantityRow, ReferenceRow, StringRow, TokenQuantityRow, TokenRow, UriRow };

/**
 * The search-parameter types: parse, format and extract of each, chosen by type. Adding a
 * type is a module here and its SQL half (src/adapters/index/sqlite/search/types/).
 */
export const SEARCH_TYPES: Record<SearchParamType, SearchTypeModule> = {
  string: stringType,
  token: tokenType,
  date: dateType,
  number: numberType,
  quantity: quantityType,
  reference: referenceType,
  uri: uriType,
  composite: compositeType,
  special: specialType,
};

/** One indexed value of one search parameter of a resource (the rows of every type's `rows`). */
export type SearchRow =
  | StringRow
  | TokenRow
  | DateRow
  | NumberRow
  | QuantityRow
  | ReferenceRow
  | UriRow
  | TokenQuantityRow;

/** Every kind of row, in a fixed order (a row's packed kind is its position here). */
export const ROW_CODECS: readonly RowCodec[] = Object.values(SEARCH_TYPES).flatMap((t) => t.rows);

/** The codec of each kind of row. */
export const ROW_CODEC: Readonly<Record<SearchRow["kind"], RowCodec>> = Object.fromEntries(
  ROW_CODECS.map((c) => [c.kind, c]),
) as Record<SearchRow["kind"], RowCodec>;
