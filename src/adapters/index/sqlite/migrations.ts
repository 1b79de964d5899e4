import type { Migration } from "../../sqlite/migrate.ts";
import { blindSearchValues } from "./migrations/blindSearchValues.ts";
import { UNNUMBERED_SEARCH_TABLES } from "./migrations/unnumberedSearchTables.ts";
import {
  addCreatedByUpdate,
  clusterSearchTables,
  moveLeafPaths,
  pairTokenQuantityComposites,
} from "./migrations/unnumberedLayouts.ts";
import { coreSchemaSql } from "./schema.ts";

/**
 * The layouts of the index file, in order (`PRAGMA user_version` records the last applied;
 * SqliteIndex runs the rest on open, each in one transaction). Steps 1-6 predate numbering:
 * a file of user_version 0 may be new or of any earlier layout, so they create what is missing
 * and convert what is old (see migrations/unnumberedLayouts.ts). A change of layout from now
 * on is a new step at the end that takes layout N-1 to N without looking at the file first;
 * released steps are never edited.
 */
/**
 * Step 7: for each resource, every patient compartment any of its versions named (erasure of
 * one removes the resource). IF NOT EXISTS: a file set back to user_version 0 runs it again.
 */
export const RESOURCE_COMPARTMENTS_SQL = `CREATE TABLE IF NOT EXISTS resource_compartments (
  compartment TEXT NOT NULL, rid INTEGER NOT NULL,
  PRIMARY KEY (compartment, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_compartments_rid ON resource_compartments(rid);`;

/** The layout from which no search value is stored in clear. */
export const BLIND_LAYOUT = 8;

export const INDEX_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "core tables", up: (db) => db.exec(coreSchemaSql) },
  { version: 2, name: "inclusion paths apart from leaves", up: moveLeafPaths },
  { version: 3, name: "versions.created_by_update", up: addCreatedByUpdate },
  { version: 4, name: "search tables clustered on (rid, param, seq)", up: clusterSearchTables },
  { version: 5, name: "token×quantity composites as pairs", up: pairTokenQuantityComposites },
  { version: 6, name: "search tables", up: (db) => db.exec(UNNUMBERED_SEARCH_TABLES) },
  {
    version: 7,
    name: "every patient compartment a resource's versions named",
    up: (db) => db.exec(RESOURCE_COMPARTMENTS_SQL),
  },
  // Needs the search key registered on the connection (SqliteIndex does it before migrating).
  { version: BLIND_LAYOUT, name: "search values sealed and blinded, none in clear", up: blindSearchValues },
];
