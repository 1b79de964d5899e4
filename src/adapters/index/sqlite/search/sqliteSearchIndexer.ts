import type { SearchIndexer } from "../SqliteIndex.ts";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { unpackRows } from "../../../../fhir/search/packedRows.ts";
import { migrateSearchTables, SEARCH_SCHEMA } from "./searchSchema.ts";
import { deleteSearchRows, writeSearchRows } from "./writeSearchRows.ts";

/**
 * The search indexer SqliteIndex runs inside its write transaction: the sp_* tables,
 * rows extracted with the official R4 SearchParameters, replaced on every version.
 */
export const sqliteSearchIndexer: SearchIndexer = {
  ddl: SEARCH_SCHEMA,
  migrate: migrateSearchTables,
  write(db, rid, type, resource, fresh, rows) {
    writeSearchRows(db, rid, type, rows ? unpackRows(rows) : extractSearchValues({ ...resource, resourceType: type }), { fresh: fresh === true });
  },
  remove(db, rid) {
    deleteSearchRows(db, rid);
  },
};
