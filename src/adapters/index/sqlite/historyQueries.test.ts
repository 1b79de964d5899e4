import { beforeAll, describe, expect, it } from "vitest";
import { historyPage, compartmentPage, everyCompartmentPage } from "./historyQueries.ts";
import { SqliteIndex } from "./SqliteIndex.ts";

/** An index with versions written at given instants (no blobs: the queries only read rows). */
async function indexWith(
  writes: { type: string; id: string; at: string; deleted?: boolean; compartment?: string }[],
): Promise<SqliteIndex> {
  const index = new SqliteIndex({ path: ":memory:" });
  const versions = new Map<string, number>();
  for (const w of writes) {
    const key = `${w.type}/${w.id}`;
    const previous = versions.get(key) ?? 0;
    await index.commit({
      type: w.type,
      id: w.id,
      versionId: previous + 1,
      lastUpdated: w.at,
      deleted: w.deleted ?? false,
      cid: w.deleted ? null : `cid-${key}-${previous + 1}`,
      contentHash: "00",
      keyId: null,
      compartment: w.compartment ?? null,
      leafHash: new Uint8Array(32),
      expectedPreviousVersion: previous,
    });
    versions.set(key, previous + 1);
  }
  return index;
}

const T = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;
const keys = (page: { versions: { type: string; id: string; versionId: number }[] }) =>
  page.versions.map((v) => `${v.type}/${v.id}/${v.versionId}`);

describe("historyPage", () => {
  const sample = () =>
    indexWith([
      { type: "Patient", id: "a", at: T(1) },
      { type: "Patient", id: "b", at: T(2) },
      { type: "Observation", id: "o", at: T(2) },
      { type: "Patient", id: "a", at: T(3) },
      { type: "Patient", id: "b", at: T(4), deleted: true },
    ]);
  let index: SqliteIndex;
  beforeAll(async () => {
    index = await sample();
  });

  it("lists newest first and breaks timestamp ties by row, then version", async () => {
    expect(keys(historyPage(index.db, { count: 10 }))).toEqual([
      "Patient/b/2",
      "Patient/a/2",
      "Observation/o/1",
      "Patient/b/1",
      "Patient/a/1",
    ]);
    expect(keys(historyPage(index.db, { type: "Patient", count: 10 }))).toEqual([
      "Patient/b/2",
      "Patient/a/2",
      "Patient/b/1",
      "Patient/a/1",
    ]);
    expect(keys(historyPage(index.db, { type: "Patient", id: "a", count: 10 }))).toEqual([
      "Patient/a/2",
      "Patient/a/1",
    ]);
    expect(keys(historyPage(index.db, { types: ["Observation"], count: 10 }))).toEqual(["Observation/o/1"]);
    expect(historyPage(index.db, { type: "Patient", count: 1, countTotal: true }).total).toBe(4);
    expect(historyPage(index.db, { type: "Patient", since: T(3), count: 1, countTotal: true }).total).toBe(2);
  });

  it("pages with a cursor that new writes cannot shift", async () => {
    const index = await sample();
    const first = historyPage(index.db, { count: 2 });
    expect(first.nextCursor).not.toBeNull();
    await index.commit({
      type: "Patient",
      id: "c",
      versionId: 1,
      lastUpdated: T(9),
      deleted: false,
      cid: "x",
      contentHash: "00",
      keyId: null,
      compartment: null,
      leafHash: new Uint8Array(32),
      expectedPreviousVersion: 0,
    });
    const second = historyPage(index.db, { count: 2, cursor: first.nextCursor! });
    const third = historyPage(index.db, { count: 2, cursor: second.nextCursor! });
    expect([...keys(first), ...keys(second), ...keys(third)]).toEqual([
      "Patient/b/2",
      "Patient/a/2",
      "Observation/o/1",
      "Patient/b/1",
      "Patient/a/1",
    ]);
    expect(third.nextCursor).toBeNull();
  });

  it("_since and _at select by write time and by the version current then", async () => {
    expect(keys(historyPage(index.db, { type: "Patient", since: T(3), count: 10 }))).toEqual([
      "Patient/b/2",
      "Patient/a/2",
    ]);
    expect(keys(historyPage(index.db, { type: "Patient", at: { from: T(2), to: T(2) }, count: 10 }))).toEqual([
      "Patient/b/1",
      "Patient/a/1",
    ]);
    expect(keys(historyPage(index.db, { type: "Patient", at: { from: T(5), to: T(5) }, count: 10 })).sort()).toEqual([
      "Patient/a/2",
      "Patient/b/2",
    ]);
    // A period: every version current at some point in it.
    expect(keys(historyPage(index.db, { type: "Patient", id: "a", at: { from: T(0), to: T(59) }, count: 10 }))).toEqual(
      ["Patient/a/2", "Patient/a/1"],
    );
    expect(keys(historyPage(index.db, { at: { from: T(0), to: T(0) }, count: 10 }))).toEqual([]);
  });

  it("pages a common type (walked through the version time index) the same way", async () => {
    const writes = Array.from({ length: 2100 }, (_, i) => ({
      type: i % 7 === 0 ? "Patient" : "Observation",
      id: `r${i % 1900}`,
      at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    }));
    const big = await indexWith(writes);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = historyPage(big.db, {
        type: "Observation",
        count: 400,
        ...(cursor ? { cursor } : {}),
        countTotal: true,
      });
      expect(page.total).toBe(writes.filter((w) => w.type === "Observation").length);
      seen.push(...page.versions.map((v) => `${v.type}/${v.id}@${v.lastUpdated}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(
      writes
        .filter((w) => w.type === "Observation")
        .reverse()
        .map((w) => `Observation/${w.id}@${w.at}`),
    );
  });

  it("refuses cursors it did not make", async () => {
    expect(() => historyPage(index.db, { count: 2, cursor: "abc" })).toThrow(/_cursor/);
    expect(() =>
      historyPage(index.db, { count: 2, cursor: Buffer.from(JSON.stringify(["c", 1, 2])).toString("base64url") }),
    ).toThrow(/_cursor/);
  });
});

describe("compartmentPage", () => {
  let index: SqliteIndex;
  beforeAll(async () => {
    index = await indexWith([
      { type: "Observation", id: "o1", at: T(1), compartment: "Patient/p" },
      { type: "Patient", id: "p", at: T(2), compartment: "Patient/p" },
      { type: "Observation", id: "o2", at: T(3), compartment: "Patient/p" },
      { type: "Observation", id: "o3", at: T(4), compartment: "Patient/q" },
      { type: "Condition", id: "c1", at: T(5), compartment: "Patient/p" },
      { type: "Condition", id: "c1", at: T(6), deleted: true, compartment: "Patient/p" },
    ]);
  });

  it("lists the Patient first, then current members, and pages", async () => {
    const first = compartmentPage(index.db, { compartment: "Patient/p", count: 2, countTotal: true });
    expect(keys(first)).toEqual(["Patient/p/1", "Observation/o1/1"]);
    expect(first.total).toBe(3);
    const second = compartmentPage(index.db, {
      compartment: "Patient/p",
      count: 2,
      cursor: first.nextCursor!,
      countTotal: true,
    });
    expect(keys(second)).toEqual(["Observation/o2/1"]);
    expect(second.total).toBe(3);
    expect(second.nextCursor).toBeNull();
    expect(keys(compartmentPage(index.db, { compartment: "Patient/p", since: T(3), count: 10 }))).toEqual([
      "Observation/o2/1",
    ]);
    expect(keys(compartmentPage(index.db, { compartment: "Patient/p", types: ["Patient"], count: 10 }))).toEqual([
      "Patient/p/1",
    ]);
  });
});

describe("everyCompartmentPage", () => {
  const writes = () => [
    { type: "Observation", id: "o1", at: T(1), compartment: "Patient/p" },
    { type: "Patient", id: "q", at: T(2), compartment: "Patient/q" },
    { type: "Patient", id: "p", at: T(3), compartment: "Patient/p" },
    { type: "Observation", id: "o2", at: T(4), compartment: "Patient/q" },
    { type: "Condition", id: "c1", at: T(5), compartment: "Patient/p" },
    { type: "Observation", id: "orphan", at: T(6), compartment: "Patient/nobody" },
    { type: "Patient", id: "gone", at: T(7), compartment: "Patient/gone" },
    { type: "Observation", id: "o3", at: T(8), compartment: "Patient/gone" },
    { type: "Patient", id: "gone", at: T(9), deleted: true, compartment: "Patient/gone" },
    { type: "Organization", id: "org", at: T(10) },
  ];
  const everything = ["Patient/q/1", "Observation/o2/1", "Patient/p/1", "Observation/o1/1", "Condition/c1/1"];

  it("lists each live patient's compartment, the Patient first, patients in the order they were first written", async () => {
    const index = await indexWith(writes());
    const all = everyCompartmentPage(index.db, { count: 100, countTotal: true });
    expect(keys(all)).toEqual(everything);
    expect(all.total).toBe(5);
    expect(all.nextCursor).toBeNull();
    expect(everyCompartmentPage(index.db, { count: 100 }).total).toBeNull();
  });

  it("pages across patients with a cursor, each resource once, whatever the page size", async () => {
    const index = await indexWith(writes());
    for (const count of [1, 2, 3, 4]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = everyCompartmentPage(index.db, { count, ...(cursor ? { cursor } : {}), countTotal: true });
        expect(page.total).toBe(5);
        seen.push(...keys(page));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(seen, `count ${count}`).toEqual(everything);
      expect(pages).toBe(Math.ceil(5 / count));
    }
  });

  it("keeps its place while data changes: new patients come later, passed ones do not come back", async () => {
    const index = await indexWith(writes());
    const first = everyCompartmentPage(index.db, { count: 3 });
    expect(keys(first)).toEqual(["Patient/q/1", "Observation/o2/1", "Patient/p/1"]);
    const commit = (type: string, id: string, compartment: string, versionId = 1) =>
      index.commit({
        type,
        id,
        versionId,
        lastUpdated: T(20),
        deleted: false,
        cid: `cid-${id}-${versionId}`,
        contentHash: "00",
        keyId: null,
        compartment,
        leafHash: new Uint8Array(32),
        expectedPreviousVersion: versionId - 1,
      });
    await commit("Observation", "late-q", "Patient/q"); // q is behind the cursor
    await commit("Observation", "late-p", "Patient/p"); // p is where the cursor is: after its last member sent
    await commit("Patient", "r", "Patient/r"); // a new patient comes last
    await commit("Observation", "o1", "Patient/p", 2); // an update keeps its place
    const rest = everyCompartmentPage(index.db, { count: 100, cursor: first.nextCursor! });
    expect(keys(rest)).toEqual(["Observation/o1/2", "Condition/c1/1", "Observation/late-p/1", "Patient/r/1"]);
  });

  it("filters by _type and _since", async () => {
    const index = await indexWith(writes());
    expect(keys(everyCompartmentPage(index.db, { types: ["Observation"], count: 100, countTotal: true }))).toEqual([
      "Observation/o2/1",
      "Observation/o1/1",
    ]);
    const since = everyCompartmentPage(index.db, { since: T(3), count: 100, countTotal: true });
    expect(keys(since)).toEqual(["Observation/o2/1", "Patient/p/1", "Condition/c1/1"]);
    expect(since.total).toBe(3);
  });

  it("refuses cursors of other queries", async () => {
    const index = await indexWith(writes());
    const instance = compartmentPage(index.db, { compartment: "Patient/p", count: 1 });
    expect(() => everyCompartmentPage(index.db, { count: 2, cursor: instance.nextCursor! })).toThrow(/_cursor/);
  });
});
