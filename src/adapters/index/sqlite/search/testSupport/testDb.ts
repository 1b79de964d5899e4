import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach } from "vitest";
import { extractSearchValues } from "../../../../../fhir/search/extractSearchValues.ts";
import { parseSearchRequest } from "../../../../../fhir/search/parseSearchRequest.ts";
import { compileSearch, type CompileSearchOptions } from "../compileSearch.ts";
import { coreSchemaSql } from "../../schema.ts";
import { SEARCH_SCHEMA } from "../searchSchema.ts";
import { writeSearchRows } from "../writeSearchRows.ts";
import type { FixtureResource } from "./fixtures.ts";
import { registerSearchFunctions, SearchKey } from "../searchKey.ts";
import { TEST_SEARCH_KEY } from "./testSearchKey.ts";

/** The index's own core tables (resources among them), so search tests run on the real schema. */
export const RESOURCES_DDL = coreSchemaSql;

/**
 * An in-memory index holding `resources`, rows inserted in order (rid = position + 1), each
 * with its version 1 and log leaf (seq = rid), as the index commits them.
 */
export function createTestDb(resources: readonly FixtureResource[]): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  registerSearchFunctions(db, new SearchKey(TEST_SEARCH_KEY));
  db.exec(RESOURCES_DDL);
  db.exec(SEARCH_SCHEMA);
  const insert = db.prepare(
    "INSERT INTO resources (type, id, version, last_updated, compartment) VALUES (?, ?, 1, ?, ?) RETURNING rid",
  );
  const leaf = db.prepare("INSERT INTO leaves (leaf_hash, queued_at) VALUES (x'00', ?) RETURNING seq");
  const version = db.prepare(
    "INSERT INTO versions (rid, version, last_updated, deleted, cid, content_hash, compartment, leaf_seq) VALUES (?, 1, ?, 0, 'cid', '00', ?, ?)",
  );
  db.exec("BEGIN");
  for (const r of resources) {
    const compartment = r.resourceType === "Patient" ? `Patient/${r.id}` : null;
    const lastUpdated = r.meta?.lastUpdated ?? "2026-01-01T00:00:00.000Z";
    const { rid } = insert.get(r.resourceType, r.id, lastUpdated, compartment) as { rid: number };
    const { seq } = leaf.get(lastUpdated) as { seq: number };
    version.run(rid, lastUpdated, compartment, seq);
    writeSearchRows(db, rid, r.resourceType, extractSearchValues(r));
  }
  db.exec("COMMIT");
  return db;
}

/** Runs a query string against the db: `Type/id` of the page, and the count. */
export function runSearch(
  db: DatabaseSync,
  type: string,
  query: string,
  options: CompileSearchOptions = {},
): { ids: string[]; total: number } {
  const request = parseSearchRequest(type, new URLSearchParams(query));
  const compiled = compileSearch(request, { defaultCount: 1000, ...options });
  const rids = (db.prepare(compiled.sql).all(...compiled.args) as { rid: number }[]).map((row) => row.rid);
  const ids = rids.slice(0, compiled.limit).map((rid) => {
    const row = db.prepare("SELECT type, id FROM resources WHERE rid = ?").get(rid) as { type: string; id: string };
    return `${row.type}/${row.id}`;
  });
  const { total } = db.prepare(compiled.countSql).get(...compiled.countArgs) as { total: number };
  return { ids, total };
}

/** A fresh index file path per call, in a temp directory removed after each test. */
export function useTempIndexPath(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return join(dir, "index.sqlite");
  };
}
