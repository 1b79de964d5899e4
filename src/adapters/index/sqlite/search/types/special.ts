import type { SqlSearchType } from "./SqlSearchType.ts";

/** special parameters are neither indexed nor searched (the parser reports them unsupported). */
export const specialSql: SqlSearchType = { writers: [], selectivity: () => 0 };
