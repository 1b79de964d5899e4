import { invalid } from "../conditionParts.ts";
import type { SqlSearchType } from "./SqlSearchType.ts";

/** special parameters are neither indexed nor searched (the parser reports them unsupported). */
export const specialSql: SqlSearchType = {
  writers: [],
  paramCondition(f) {
    throw invalid(`${f.code} is not supported`);
  },
  selectivity: () => 0,
};
