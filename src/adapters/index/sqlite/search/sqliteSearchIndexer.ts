import type { SearchIndexer } from "../SqliteIndex.ts";
import { extractSearchValues } from "../../../../fhir/search/extractSearchValues.ts";
import { localizeReferenceRows } from "../../../../fhir/search/ownBaseReferences.ts";
import { unpackRows } from "../../../../fhir/search/packedRows.ts";
import { SEARCH_SCHEMA } from "./searchSchema.ts";
import { deleteSearchRows, writeSearchRows } from "./writeSearchRows.ts";

/**
 * The search indexer SqliteIndex runs inside its write transaction: the sp_* tables,
 * rows extracted with the official R4 SearchParameters, replaced on every version;
 * references under the server's own base are stored as the local `Type/id` they name.
 */
export const sqliteSearchIndexer: SearchIndexer = {
  ddl: SEARCH_SCHEMA,
  write(db, rid, type, resource, fresh, rows, ownBase = "") {
    // Localized here, not at extraction, so rows packed by the preparation worker (which does
    // not know the base) and rows extracted in the index are treated alike.
    const extracted = rows ? unpackRows(rows) : extractSearchValues({ ...resource, resourceType: type });
    writeSearchRows(db, rid, type, localizeReferenceRows(extracted, ownBase), { fresh: fresh === true });
  },
  remove(db, rid) {
    deleteSearchRows(db, rid);
  },
};
