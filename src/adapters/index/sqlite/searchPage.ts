import type { DatabaseSync } from "node:sqlite";
import type { SearchRequest } from "../../../ports/SearchRequest.ts";
import type { SearchOptions, SearchPage } from "../../../ports/SearchIndex.ts";
import type { VersionRow } from "../../../ports/VersionStore.ts";
import { toVersion } from "./rows.ts";
import { prepared } from "./prepared.ts";
import { collectIncludes } from "./search/collectIncludes.ts";
import { compileSearch } from "./search/compileSearch.ts";
import { encodeChangedCursor } from "./search/searchCursor.ts";
import { type SearchKey, searchKeyOf } from "./search/searchKey.ts";
import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";

type Row = Record<string, unknown>;

/** Runs a parsed search: one page of matches (limit + 1 rows tell whether a next page exists), the total when asked, and the includes. */
export function searchPage(db: DatabaseSync, sealedRequest: SearchRequest, options: SearchOptions): SearchPage {
  const key = searchKeyOf(db);
  const request = openCursor(key, sealedRequest);
  const compiled = compileSearch(request, options.maxTerms === undefined ? {} : { maxTerms: options.maxTerms });
  const walk = compiled.limit > 0 ? compiled.walk : undefined;
  // The walk's watermark, read before the page (on this connection, which does every write,
  // nothing commits in between): a resource with a seq up to it was read where it stays, and
  // one changed after has a higher seq and comes among the changed ones (twice at worst, never
  // missed). Read after the page, a change in between would count as unchanged and be missed.
  const watermark = walk ? (walk.watermark ?? highestSeq(db)) : undefined;
  const rows = db.prepare(compiled.sql).all(...compiled.args) as Row[];
  const page = rows.slice(0, compiled.limit);
  let nextCursor =
    rows.length > compiled.limit && page.length > 0 ? compiled.nextCursor(page.at(-1)!, watermark) : null;
  if (walk?.watermark !== undefined && nextCursor === null) {
    // The resources unchanged since the walk began are all read: the page goes on with those
    // changed since, and a next link only if one is left (never a last page with nothing).
    // A first page needs none: nothing it left out had changed when it was read.
    const room = compiled.limit - page.length;
    const changed = walk.changedSince(walk.watermark, room + 1);
    const more = db.prepare(changed.sql).all(...changed.args) as Row[];
    page.push(...more.slice(0, room));
    if (more.length > room) nextCursor = encodeChangedCursor(room > 0 ? Number(more[room - 1]!.seq) : walk.watermark);
  }
  const total = options.countTotal
    ? Number((db.prepare(compiled.countSql).get(...compiled.countArgs) as Row).total)
    : null;
  const pageRids = page.map((r) => Number(r.rid));
  const includes = collectIncludes(db, request, pageRids, options.maxIncludeDepth ?? 3, options.maxIncludes);
  return {
    matches: currentVersions(db, pageRids),
    included: currentVersions(db, includes.rids),
    total,
    nextCursor: nextCursor === null ? null : sealCursor(key, nextCursor),
    ...(includes.truncated ? { includesTruncated: true } : {}),
  };
}

/** What marks a sealed `_cursor` (the clear form is base64url JSON, which starts with W or e). */
const SEALED_CURSOR = "z";

/**
 * A next page's `_cursor`, sealed under the search key (SearchKey.seal: the same page state
 * gives the same cursor): a cursor holds the last row's sort keys, which for a sort on names
 * or identifiers are values the index keeps blind, and a next link travels in URLs that
 * proxies and browsers log.
 */
function sealCursor(key: SearchKey, cursor: string): string {
  return SEALED_CURSOR + Buffer.from(key.seal(cursor)).toString("base64url");
}

/** The request with its `_cursor` opened (a cursor that does not open is a 400, as a malformed one is). */
function openCursor(key: SearchKey, request: SearchRequest): SearchRequest {
  const cursor = request.cursor;
  if (cursor === undefined || !cursor.startsWith(SEALED_CURSOR)) return request;
  let opened: string;
  try {
    opened = key.open(Buffer.from(cursor.slice(SEALED_CURSOR.length), "base64url"));
  } catch {
    const message = "_cursor does not belong to this server's searches";
    throw new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
  }
  return { ...request, cursor: opened };
}

/** The commit sequence of the latest version written (0 on an empty index): leaves are never deleted. */
function highestSeq(db: DatabaseSync): number {
  const row = prepared(db, "SELECT max(seq) AS seq FROM leaves").get() as Row;
  return row.seq === null ? 0 : Number(row.seq);
}

/** Current version rows of rids, in the order given, skipping deleted ones. */
function currentVersions(db: DatabaseSync, rids: number[]): VersionRow[] {
  if (rids.length === 0) return [];
  const rows = prepared(
    db,
    `SELECT r.rid, r.type, r.id, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.leaf_seq, l.leaf_hash
     FROM json_each(?) j JOIN resources r ON r.rid = j.value JOIN versions v ON v.rid = r.rid AND v.version = r.version JOIN leaves l ON l.seq = v.leaf_seq
     WHERE r.deleted = 0 ORDER BY j.key`,
  ).all(JSON.stringify(rids)) as Row[];
  return rows.map(toVersion);
}
