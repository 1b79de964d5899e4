import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { collectIncludes } from "./collectIncludes.ts";
import { fixtures } from "./testSupport/fixtures.ts";
import { createTestDb } from "./testSupport/testDb.ts";

const db = createTestDb(fixtures);
const rid = (ref: string) => {
  const [type, id] = ref.split("/");
  return (db.prepare("SELECT rid FROM resources WHERE type = ? AND id = ?").get(type!, id!) as { rid: number }).rid;
};
const ref = (r: number) => {
  const row = db.prepare("SELECT type || '/' || id AS ref FROM resources WHERE rid = ?").get(r) as { ref: string };
  return row.ref;
};
/** The includes of a page of `matches` for the `_include`/`_revinclude` parameters of `query`. */
const collect = (type: string, query: string, matches: string[], maxDepth = 3, maxIncludes?: number) => {
  const request = parseSearchRequest(type, new URLSearchParams(query));
  const result = collectIncludes(db, request, matches.map(rid), maxDepth, maxIncludes);
  return { refs: result.rids.map(ref).sort(), truncated: result.truncated, count: result.rids.length };
};

// Fixtures: Observation/o1 → Patient/p1 → Organization/org1; Patient/p2 → Organization/org2,
// which is partOf org1; p2 links to p1.
describe("collectIncludes", () => {
  it("applies an :iterate spec to what another spec included", () => {
    expect(
      collect("Observation", "_include=Observation:subject&_include:iterate=Patient:organization", ["Observation/o1"]),
    ).toEqual({
      refs: ["Organization/org1", "Patient/p1"],
      truncated: false,
      count: 2,
    });
  });

  it("iterates _revinclude across specs: sub-organizations, then the patients they manage", () => {
    const r = collect(
      "Organization",
      "_revinclude:iterate=Organization:partof&_revinclude:iterate=Patient:organization",
      ["Organization/org1"],
    );
    expect(r.refs).toEqual(["Organization/org2", "Patient/p1", "Patient/p2"]);
  });

  it("mixes _include and _revinclude rounds", () => {
    const r = collect("Observation", "_include=Observation:subject&_revinclude:iterate=Condition:patient", [
      "Observation/o1",
    ]);
    expect(r.refs).toEqual(["Condition/c1", "Patient/p1"]);
  });

  it("adds at most maxIncludes resources, and says when it cut some off", () => {
    const query = "_include=Observation:subject&_include:iterate=Patient:organization";
    const all = collect("Observation", query, ["Observation/o1"]);
    expect(all.count).toBe(2);
    expect(collect("Observation", query, ["Observation/o1"], 3, 2)).toEqual({ ...all, truncated: false });
    const one = collect("Observation", query, ["Observation/o1"], 3, 1);
    expect(one).toEqual({ refs: ["Patient/p1"], truncated: true, count: 1 });
    // within one round too: p1 and p2 both refer to an organization
    const round = collect("Patient", "_include=Patient:organization", ["Patient/p1", "Patient/p2"], 3, 1);
    expect(round.count).toBe(1);
    expect(round.truncated).toBe(true);
  });

  it("applies specs without :iterate to the matches only", () => {
    expect(
      collect("Observation", "_include=Observation:subject&_include=Patient:organization", ["Observation/o1"]).refs,
    ).toEqual(["Patient/p1"]);
  });

  it("never includes a match, and includes each resource once", () => {
    // p2 links to p1 (a match); org2 is reached from p2 and org1 from p1 and from org2.
    const r = collect(
      "Patient",
      "_include:iterate=Patient:link&_include:iterate=Patient:organization&_include:iterate=Organization:partof",
      ["Patient/p1", "Patient/p2"],
    );
    expect(r).toEqual({ refs: ["Organization/org1", "Organization/org2"], truncated: false, count: 2 });
  });

  it("stops at the depth limit and says whether it cut anything off", () => {
    const query =
      "_include=Observation:subject&_include:iterate=Patient:organization&_include:iterate=Organization:partof";
    // o3 → p2 → org2 → org1: three rounds.
    expect(collect("Observation", query, ["Observation/o3"], 3)).toEqual({
      refs: ["Organization/org1", "Organization/org2", "Patient/p2"],
      truncated: false,
      count: 3,
    });
    expect(collect("Observation", query, ["Observation/o3"], 2)).toEqual({
      refs: ["Organization/org2", "Patient/p2"],
      truncated: true,
      count: 2,
    });
    expect(collect("Observation", query, ["Observation/o3"], 1)).toEqual({
      refs: ["Patient/p2"],
      truncated: true,
      count: 1,
    });
    // o1 → p1 → org1 needs two rounds; the third would add nothing, so nothing was cut off.
    expect(collect("Observation", query, ["Observation/o1"], 2)).toEqual({
      refs: ["Organization/org1", "Patient/p1"],
      truncated: false,
      count: 2,
    });
  });

  it("is not truncated when no spec iterates, whatever the limit", () => {
    expect(collect("Observation", "_include=Observation:subject", ["Observation/o1"], 1)).toEqual({
      refs: ["Patient/p1"],
      truncated: false,
      count: 1,
    });
  });

  it("keeps _include=* as it was: every local target of the matches", () => {
    expect(collect("Observation", "_include=*", ["Observation/o1", "Observation/o3", "Observation/o5"]).refs).toEqual([
      "Encounter/e1",
      "Encounter/e2",
      "Patient/p1",
      "Patient/p2",
      "Practitioner/pr1",
    ]);
  });

  it("adds nothing for an empty page", () => {
    expect(collect("Observation", "_include:iterate=Observation:subject", [])).toEqual({
      refs: [],
      truncated: false,
      count: 0,
    });
  });
});
