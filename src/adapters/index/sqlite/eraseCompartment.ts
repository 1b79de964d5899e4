import type { DatabaseSync } from "node:sqlite";
import type { ErasedCompartment } from "../../../ports/VersionStore.ts";
import { prepared } from "./prepared.ts";
import type { Row } from "./rows.ts";
import type { SearchIndexer } from "./SqliteIndex.ts";

/**
 * Erasure's rows, inside the caller's transaction: every resource with a version in the
 * compartment (as its key's compartment or among the compartments it named, see
 * resource_compartments), every resource that named the patient by one of `namedBy` (its
 * identifier names, as resource_compartments keeps them) and the resources in `also` lose
 * their versions, current pointer,
 * compartments and search rows. Log leaves stay.
 */
export function eraseCompartment(
  db: DatabaseSync,
  search: SearchIndexer | null,
  compartment: string,
  also: readonly { type: string; id: string }[],
  namedBy: readonly string[] = [],
): ErasedCompartment {
  const members = prepared(
    db,
    `SELECT r.rid, r.type, r.id FROM resources r WHERE r.compartment = ?
     UNION SELECT r.rid, r.type, r.id FROM versions v JOIN resources r ON r.rid = v.rid WHERE v.compartment = ?
     UNION SELECT r.rid, r.type, r.id FROM resource_compartments rc JOIN resources r ON r.rid = rc.rid WHERE rc.compartment = ?`,
  ).all(compartment, compartment, compartment) as Row[];
  const byName = prepared(
    db,
    "SELECT r.rid, r.type, r.id FROM resource_compartments rc JOIN resources r ON r.rid = rc.rid WHERE rc.compartment = ?",
  );
  for (const name of namedBy) members.push(...(byName.all(name) as Row[]));
  const unique = new Map(members.map((m) => [Number(m.rid), m]));
  members.splice(0, members.length, ...unique.values());
  const seen = new Set(unique.keys());
  const byId = prepared(db, "SELECT rid FROM resources WHERE type = ? AND id = ?");
  for (const { type, id } of also) {
    const row = byId.get(type, id) as Row | undefined;
    if (row && !seen.has(Number(row.rid))) {
      seen.add(Number(row.rid));
      members.push({ rid: row.rid, type, id });
    }
  }
  const cids: string[] = [];
  let versions = 0;
  for (const m of members) {
    const rid = Number(m.rid);
    const vs = prepared(db, "SELECT cid FROM versions WHERE rid = ?").all(rid) as Row[];
    versions += vs.length;
    for (const v of vs) if (v.cid) cids.push(String(v.cid));
    prepared(db, "DELETE FROM versions WHERE rid = ?").run(rid);
    prepared(db, "DELETE FROM resources WHERE rid = ?").run(rid);
    prepared(db, "DELETE FROM resource_compartments WHERE rid = ?").run(rid);
    search?.remove(db, rid);
  }
  return { resources: members.map((m) => ({ type: String(m.type), id: String(m.id) })), versions, cids };
}
