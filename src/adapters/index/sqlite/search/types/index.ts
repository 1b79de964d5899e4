import type { SearchParamType } from "../../../../../ports/SearchRequest.ts";
import { compositeSql } from "./composite.ts";
import { dateSql } from "./date.ts";
import { numberSql } from "./number.ts";
import { quantitySql } from "./quantity.ts";
import { referenceSql } from "./reference.ts";
import { specialSql } from "./special.ts";
import type { SqlSearchType } from "./SqlSearchType.ts";
import { stringSql } from "./string.ts";
import { tokenSql } from "./token.ts";
import { uriSql } from "./uri.ts";

export type { ParamSite, RowCondition, RowWriter, SearchTable, SqlSearchType } from "./SqlSearchType.ts";

/**
 * The SQLite half of each search-parameter type, chosen by type (the engine half:
 * SEARCH_TYPES in src/fhir/search/types/). The order is the schema's.
 */
export const SQL_SEARCH_TYPES: Record<SearchParamType, SqlSearchType> = {
  string: stringSql,
  token: tokenSql,
  date: dateSql,
  number: numberSql,
  quantity: quantitySql,
  reference: referenceSql,
  uri: uriSql,
  composite: compositeSql,
  special: specialSql,
};

/** The table of a type's rows (components and sorts read it); throws for a type without one. */
export function tableOf(type: SearchParamType): string {
  const table = SQL_SEARCH_TYPES[type].table;
  if (!table) throw new Error(`search parameters of type ${type} have no table`);
  return table.name;
}
