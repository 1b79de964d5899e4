import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import type { CompartmentPage, CompartmentQuery, HistoryIndex, HistoryPage, HistoryQuery } from "../../../ports/HistoryIndex.ts";
import type { VersionRow } from "../../../ports/Index.ts";

type Row = Record<string, unknown>;

const VERSION_COLUMNS = "r.type, r.id, v.rid, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.leaf_seq";

/**
 * History and compartment queries on the SQLite index's own tables (read-only).
 * Paging is keyset-based, so a next link stays correct while writes continue: history runs
 * newest first on (last_updated, rid, version), new writes land before the cursor and never
 * shift a later page.
 */
export function sqliteHistoryIndex(db: DatabaseSync): HistoryIndex {
  return {
    historyPage: (query) => historyPage(db, query),
    compartmentPage: (query) => compartmentPage(db, query),
  };
}

/** @see https://hl7.org/fhir/R4/http.html#history */
export function historyPage(db: DatabaseSync, query: HistoryQuery): HistoryPage {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (query.type !== undefined) {
    where.push("r.type = ?");
    args.push(query.type);
  }
  if (query.id !== undefined) {
    where.push("r.id = ?");
    args.push(query.id);
  }
  if (query.types !== undefined && query.types.length > 0) {
    where.push("r.type IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(query.types));
  }
  if (query.since !== undefined) {
    where.push("v.last_updated >= ?");
    args.push(query.since);
  }
  if (query.at !== undefined) {
    // Current at some point in [from, to]: written by `to` and not replaced before `from`.
    where.push("v.last_updated <= ? AND NOT EXISTS (SELECT 1 FROM versions n WHERE n.rid = v.rid AND n.version = v.version + 1 AND n.last_updated <= ?)");
    args.push(query.at.to, query.at.from);
  }
  if (query.cursor !== undefined) {
    const [lastUpdated, rid, version] = decodeCursor(query.cursor, "h", ["string", "number", "number"]);
    where.push("(v.last_updated, v.rid, v.version) < (?, ?, ?)");
    args.push(lastUpdated!, rid!, version!);
  }
  const sql = `SELECT ${VERSION_COLUMNS} FROM versions v JOIN resources r ON r.rid = v.rid
    ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY v.last_updated DESC, v.rid DESC, v.version DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...args, query.count + 1) as Row[];
  const page = rows.slice(0, query.count);
  const last = page.at(-1);
  const nextCursor = rows.length > query.count && last ? encodeCursor(["h", String(last.last_updated), Number(last.rid), Number(last.version)]) : null;
  return { versions: page.map(toVersion), nextCursor };
}

/**
 * Current, non-deleted members of a patient compartment; the Patient itself comes first.
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export function compartmentPage(db: DatabaseSync, query: CompartmentQuery): CompartmentPage {
  const patientId = query.compartment.startsWith("Patient/") ? query.compartment.slice("Patient/".length) : "";
  const first = "(CASE WHEN r.type = 'Patient' AND r.id = ? THEN 0 ELSE 1 END)";
  const where: string[] = ["r.compartment = ?", "r.deleted = 0"];
  const args: SQLInputValue[] = [query.compartment];
  if (query.since !== undefined) {
    where.push("r.last_updated >= ?");
    args.push(query.since);
  }
  if (query.types !== undefined && query.types.length > 0) {
    where.push("r.type IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(query.types));
  }
  const filterWhere = [...where];
  const filterArgs = [...args];
  if (query.cursor !== undefined) {
    const [rank, rid] = decodeCursor(query.cursor, "c", ["number", "number"]);
    where.push(`(${first}, r.rid) > (?, ?)`);
    args.push(patientId, rank!, rid!);
  }
  const sql = `SELECT ${VERSION_COLUMNS}, ${first} AS rank FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = r.version
    WHERE ${where.join(" AND ")} ORDER BY rank, r.rid LIMIT ?`;
  const rows = db.prepare(sql).all(patientId, ...args, query.count + 1) as Row[];
  const page = rows.slice(0, query.count);
  const last = page.at(-1);
  const nextCursor = rows.length > query.count && last ? encodeCursor(["c", Number(last.rank), Number(last.rid)]) : null;
  const total = query.countTotal
    ? Number((db.prepare(`SELECT COUNT(*) AS n FROM resources r WHERE ${filterWhere.join(" AND ")}`).get(...filterArgs) as Row).n)
    : null;
  return { versions: page.map(toVersion), total, nextCursor };
}

function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

/** A cursor is base64url JSON: a kind tag, then the last row's keys. Anything else is a 400. */
function decodeCursor(cursor: string, kind: string, shape: ("string" | "number")[]): (string | number)[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor.slice(0, 512), "base64url").toString("utf8"));
  } catch {
    values = undefined;
  }
  const ok = Array.isArray(values) && values.length === shape.length + 1 && values[0] === kind &&
    shape.every((t, i) => (t === "number" ? Number.isSafeInteger(values[i + 1]) : typeof values[i + 1] === "string" && (values[i + 1] as string).length <= 64));
  if (!ok) throw new FhirLedgerError("invalid", "_cursor does not belong to this query", { issues: [{ type: "invalid", diagnostics: "malformed _cursor", expression: ["_cursor"] }] });
  return (values as (string | number)[]).slice(1);
}

function toVersion(r: Row): VersionRow {
  return {
    type: String(r.type),
    id: String(r.id),
    versionId: Number(r.version),
    lastUpdated: String(r.last_updated),
    deleted: Number(r.deleted) === 1,
    cid: (r.cid as string | null) ?? null,
    contentHash: String(r.content_hash),
    keyId: (r.key_id as string | null) ?? null,
    compartment: (r.compartment as string | null) ?? null,
    leafSeq: Number(r.leaf_seq),
  };
}
