import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import type {
  CompartmentPage,
  CompartmentQuery,
  EveryCompartmentQuery,
  HistoryIndex,
  HistoryPage,
  HistoryQuery,
} from "../../../ports/HistoryIndex.ts";
import type { PolicyExpr, SearchPolicy } from "../../../ports/SearchRequest.ts";
import { DEFAULT_MAX_TERMS } from "./search/compileSearch.ts";
import type { Ctx } from "./search/conditionParts.ts";
import { gateCondition } from "./search/gateCondition.ts";
import type { VersionRow } from "../../../ports/VersionStore.ts";
import { toVersion } from "./rows.ts";

type Row = Record<string, unknown>;

const VERSION_COLUMNS =
  "r.type, r.id, v.rid, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.leaf_seq, v.created_by_update";

/**
 * History and compartment queries on the SQLite index's own tables (read-only).
 * Paging is keyset-based, so a next link stays correct while writes continue: history runs
 * newest first on (last_updated, rid, version), new writes land before the cursor and never
 * shift a later page.
 */
export function sqliteHistoryIndex(db: DatabaseSync): HistoryIndex {
  return {
    historyPage: async (query) => historyPage(db, query),
    compartmentPage: async (query) => compartmentPage(db, query),
    everyCompartmentPage: async (query) => everyCompartmentPage(db, query),
  };
}

/** @see https://hl7.org/fhir/R4/http.html#history */
export function historyPage(db: DatabaseSync, query: HistoryQuery): HistoryPage {
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  if (query.type !== undefined) {
    // A common type is paged fastest by walking versions newest first and skipping other types;
    // a rare one by its own rows, then sorting. `+r.type` keeps SQLite off the type index.
    where.push(query.id === undefined && isCommonType(db, query.type) ? "+r.type = ?" : "r.type = ?");
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
    where.push(
      "v.last_updated <= ? AND NOT EXISTS (SELECT 1 FROM versions n WHERE n.rid = v.rid AND n.version = v.version + 1 AND n.last_updated <= ?)",
    );
    args.push(query.at.to, query.at.from);
  }
  if (query.policy !== undefined) {
    const p = versionPolicy(query.policy);
    if (p !== undefined) {
      where.push(p.sql);
      args.push(...p.args);
    }
  }
  // The count has no order to serve: let it use the type index.
  const filterWhere = where.map((w) => (w === "+r.type = ?" ? "r.type = ?" : w));
  const filterArgs = [...args];
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
  const nextCursor =
    rows.length > query.count && last
      ? encodeCursor(["h", String(last.last_updated), Number(last.rid), Number(last.version)])
      : null;
  const total = query.countTotal
    ? Number(
        (
          db
            .prepare(
              `SELECT COUNT(*) AS n FROM versions v JOIN resources r ON r.rid = v.rid ${filterWhere.length > 0 ? `WHERE ${filterWhere.join(" AND ")}` : ""}`,
            )
            .get(...filterArgs) as Row
        ).n,
      )
    : null;
  return { versions: page.map(toVersion), total, nextCursor };
}

/**
 * HistoryQuery.policy on `r` and its version `v`; undefined when it admits every version. The
 * gate is read on the version's own compartment; its content conditions can't be (search rows
 * are the current version's), so they keep every version they might admit and the caller
 * checks each version's content.
 */
function versionPolicy(policy: SearchPolicy): { sql: string; args: SQLInputValue[] } | undefined {
  const rules = versionRules(policy);
  if (policy.gate === undefined) return rules;
  const gate = gateCondition(policy.gate, { a: "r", compartment: "v.compartment", content: false }, gateCtx());
  if (rules === undefined) return gate;
  return { sql: `(${rules.sql} AND ${gate.sql})`, args: [...rules.args, ...gate.args] };
}

/** A compile context for a gate outside a search. */
function gateCtx(): Ctx {
  return { now: Date.now(), maxChainDepth: 3, maxOrValues: 100, alias: 0, terms: 0, maxTerms: DEFAULT_MAX_TERMS };
}

function versionRules(policy: SearchPolicy): { sql: string; args: SQLInputValue[] } | undefined {
  const parts: string[] = [];
  const args: SQLInputValue[] = [];
  for (const rule of policy.rules) {
    const terms: string[] = [];
    if (rule.types !== "*") {
      terms.push("r.type IN (SELECT value FROM json_each(?))");
      args.push(JSON.stringify(rule.types));
    }
    if (rule.exceptTypes !== undefined && rule.exceptTypes.length > 0) {
      terms.push("r.type NOT IN (SELECT value FROM json_each(?))");
      args.push(JSON.stringify(rule.exceptTypes));
    }
    if (rule.confine !== undefined) {
      terms.push("v.compartment = ?");
      args.push(rule.confine);
    }
    if (terms.length === 0) return undefined;
    parts.push(`(${terms.join(" AND ")})`);
  }
  return { sql: parts.length === 0 ? "0 = 1" : `(${parts.join(" OR ")})`, args };
}

/** Types with this many resources or more are paged through the version time index. */
const COMMON_TYPE_ROWS = 2000;

function isCommonType(db: DatabaseSync, type: string): boolean {
  const row = db
    .prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM resources WHERE type = ? LIMIT ${COMMON_TYPE_ROWS})`)
    .get(type) as Row;
  return Number(row.n) >= COMMON_TYPE_ROWS;
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
  addMemberFilters(query, where, args);
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
  const nextCursor =
    rows.length > query.count && last ? encodeCursor(["c", Number(last.rank), Number(last.rid)]) : null;
  const total = query.countTotal
    ? Number(
        (
          db
            .prepare(`SELECT COUNT(*) AS n FROM resources r WHERE ${filterWhere.join(" AND ")}`)
            .get(...filterArgs) as Row
        ).n,
      )
    : null;
  const referenced =
    query.includeReferenced && page.length > 0
      ? referencedShared(
          db,
          page.map((r) => Number(r.rid)),
        )
      : [];
  return { versions: page.map(toVersion), referenced, total, nextCursor };
}

/**
 * The compartments of every live (not deleted) Patient, one after the other: patients in rid
 * order, each as compartmentPage lists it (the Patient first, then its members in rid order),
 * keyset-paged on (patient rid, rank, member rid).
 *
 * Ordering guarantees: a rid is assigned when a resource is first written and never changes,
 * so the order of what exists stays fixed while data changes and a next link neither repeats
 * nor skips a resource that stays where it was. Resources written after the cursor's position
 * (every new patient, new members of the patient being listed or of patients not yet reached) appear on later pages; new
 * members of patients already passed do not; deleted ones drop out. A resource whose
 * compartment changes between pages (its patient reference rewritten) may be seen twice or
 * not at all: paging is consistent, not a snapshot. Members of a compartment whose Patient
 * does not exist (or was deleted) are in no patient's everything.
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export function everyCompartmentPage(db: DatabaseSync, query: EveryCompartmentQuery): CompartmentPage {
  const rank = "(CASE WHEN r.rid = p.rid THEN 0 ELSE 1 END)";
  // Members are found by the compartment index, one patient at a time, walking the patients in rid order.
  const where: string[] = [
    "p.type = 'Patient'",
    "p.deleted = 0",
    "r.compartment = 'Patient/' || p.id",
    "r.deleted = 0",
  ];
  const args: SQLInputValue[] = [];
  addMemberFilters(query, where, args);
  const filterWhere = [...where];
  const filterArgs = [...args];
  if (query.cursor !== undefined) {
    const [patientRid, lastRank, rid] = decodeCursor(query.cursor, "e", ["number", "number", "number"]);
    // `p.rid >= ?` starts the walk at the cursor's patient; the row value orders within it.
    where.push(`p.rid >= ? AND (p.rid, ${rank}, r.rid) > (?, ?, ?)`);
    args.push(patientRid!, patientRid!, lastRank!, rid!);
  }
  const sql = `SELECT ${VERSION_COLUMNS}, p.rid AS patient_rid, ${rank} AS rank
    FROM resources p JOIN resources r ON r.compartment = 'Patient/' || p.id JOIN versions v ON v.rid = r.rid AND v.version = r.version
    WHERE ${where.join(" AND ")} ORDER BY p.rid, rank, r.rid LIMIT ?`;
  const rows = db.prepare(sql).all(...args, query.count + 1) as Row[];
  const page = rows.slice(0, query.count);
  const last = page.at(-1);
  const nextCursor =
    rows.length > query.count && last
      ? encodeCursor(["e", Number(last.patient_rid), Number(last.rank), Number(last.rid)])
      : null;
  const total = query.countTotal
    ? Number(
        (
          db
            .prepare(
              `SELECT COUNT(*) AS n FROM resources p JOIN resources r ON r.compartment = 'Patient/' || p.id WHERE ${filterWhere.join(" AND ")}`,
            )
            .get(...filterArgs) as Row
        ).n,
      )
    : null;
  const referenced =
    query.includeReferenced && page.length > 0
      ? referencedShared(
          db,
          page.map((r) => Number(r.rid)),
        )
      : [];
  return { versions: page.map(toVersion), referenced, total, nextCursor };
}

/** `_since`, `_type` and the caller's gate of $everything, on the compartment members `r`. */
function addMemberFilters(
  query: { since?: string; types?: readonly string[]; gate?: PolicyExpr },
  where: string[],
  args: SQLInputValue[],
): void {
  if (query.gate !== undefined) {
    const g = gateCondition(query.gate, { a: "r" }, gateCtx());
    where.push(g.sql);
    args.push(...g.args);
  }
  if (query.since !== undefined) {
    where.push("r.last_updated >= ?");
    args.push(query.since);
  }
  if (query.types !== undefined && query.types.length > 0) {
    where.push("r.type IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(query.types));
  }
}

/**
 * Current resources outside every patient compartment that `rids` refer to through their
 * reference search parameters. Other patients' data never comes along: only resources without
 * a compartment qualify.
 */
function referencedShared(db: DatabaseSync, rids: number[]): VersionRow[] {
  const hasReferences = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sp_reference'").get();
  if (!hasReferences) return [];
  const rows = db
    .prepare(
      `SELECT ${VERSION_COLUMNS} FROM resources r JOIN versions v ON v.rid = r.rid AND v.version = r.version
     WHERE r.rid IN (SELECT t.rid FROM sp_reference s JOIN resources t ON t.type = s.target_type AND t.id = s.target_id
                     WHERE s.rid IN (SELECT value FROM json_each(?)))
       AND r.deleted = 0 AND r.compartment IS NULL
     ORDER BY r.rid`,
    )
    .all(JSON.stringify(rids)) as Row[];
  return rows.map(toVersion);
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
  const ok =
    Array.isArray(values) &&
    values.length === shape.length + 1 &&
    values[0] === kind &&
    shape.every((t, i) =>
      t === "number"
        ? Number.isSafeInteger(values[i + 1])
        : typeof values[i + 1] === "string" && (values[i + 1] as string).length <= 64,
    );
  if (!ok)
    throw new FhirLedgerError("invalid", "_cursor does not belong to this query", {
      issues: [{ type: "invalid", diagnostics: "malformed _cursor", expression: ["_cursor"] }],
    });
  return (values as (string | number)[]).slice(1);
}
