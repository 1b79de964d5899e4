import type { DatabaseSync } from "node:sqlite";
import type { SearchRequest } from "../../../fhir/search/SearchRequest.ts";
import type { SearchPage, VersionRow } from "../../../ports/Index.ts";
import { toVersion } from "./rows.ts";
import { prepared } from "./prepared.ts";
import { collectIncludes } from "./search/collectIncludes.ts";
import { compileSearch } from "./search/compileSearch.ts";

type Row = Record<string, unknown>;

/** Runs a parsed search: one page of matches (limit + 1 rows tell whether a next page exists), the total when asked, and the includes. */
export function searchPage(db: DatabaseSync, request: SearchRequest, options: { maxIncludeDepth?: number; countTotal?: boolean }): SearchPage {
    const compiled = compileSearch(request);
    const rows = db.prepare(compiled.sql).all(...compiled.args) as Row[];
    const page = rows.slice(0, compiled.limit);
    const nextCursor = rows.length > compiled.limit && page.length > 0 ? compiled.nextCursor(page.at(-1)!) : null;
    const total = options.countTotal
      ? Number((db.prepare(compiled.countSql).get(...compiled.countArgs) as Row).total)
      : null;
    const pageRids = page.map((r) => Number(r.rid));
    const includes = collectIncludes(db, request, pageRids, options.maxIncludeDepth ?? 3);
    return {
      matches: currentVersions(db, pageRids),
      included: currentVersions(db, includes.rids),
      total,
      nextCursor,
      ...(includes.truncated ? { includesTruncated: true } : {}),
    };
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
