import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import { parseSystemSearchRequest } from "../../../../fhir/search/parseSystemSearchRequest.ts";
import type { SearchRequest } from "../../../../ports/SearchRequest.ts";
import type { SearchPage } from "../../../../ports/SearchIndex.ts";
import type { VersionRow } from "../../../../ports/VersionStore.ts";
import { SqliteIndex } from "../SqliteIndex.ts";
import { compileSearch } from "./compileSearch.ts";
import { sqliteSearchIndexer } from "./sqliteSearchIndexer.ts";
import { fixtures, type FixtureResource } from "./testSupport/fixtures.ts";
import { createTestDb, runSearch } from "./testSupport/testDb.ts";

const db = createTestDb(fixtures);
const parse = (type: string, q: string) => parseSearchRequest(type, new URLSearchParams(q));
const ids = (rows: ({ rid: number } | VersionRow)[]) =>
  rows.map((row) =>
    "rid" in row ? (db.prepare("SELECT id FROM resources WHERE rid = ?").get(row.rid) as { id: string }).id : row.id,
  );

/** Sorts on values an update changes: a walk through their pages goes in two phases (see SearchCursor). */
const MUTABLE_SORTS = [
  "_sort=-date,_id",
  "_sort=-date",
  "_sort=value-quantity",
  "_sort=-value-quantity,-_id",
  "_sort=status,-date",
  "_sort=subject",
  "_sort=_lastUpdated",
  "_sort=-_lastUpdated",
];

/** An in-memory index holding `resources`, each write one commit (a version and its log leaf), as the server writes. */
async function ledger(resources: readonly FixtureResource[]) {
  const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
  const write = async (type: string, id: string, lastUpdated: string, resource?: FixtureResource) => {
    const from = (await index.current(type, id))?.versionId ?? 0;
    await index.commit({
      type,
      id,
      versionId: from + 1,
      expectedPreviousVersion: from,
      lastUpdated,
      deleted: !resource,
      cid: resource ? `cid-${id}-${from + 1}` : null,
      contentHash: "00",
      keyId: null,
      compartment: null,
      leafHash: new Uint8Array(32),
      ...(resource ? { resource } : {}),
    });
  };
  const put = (resource: FixtureResource, lastUpdated = resource.meta?.lastUpdated ?? "2026-01-01T00:00:00.000Z") =>
    write(resource.resourceType, resource.id, lastUpdated, resource);
  const remove = (type: string, id: string) => write(type, id, "2026-12-31T00:00:00.000Z");
  for (const r of resources) await put(r);
  return { index, put, remove };
}

/** Follows next cursors from the first page; `between(page, idsSeenSoFar)` runs after each page. The matches, page by page. */
async function walk(
  index: SqliteIndex,
  type: string,
  query: string,
  between?: (page: number, seen: string[]) => Promise<void> | void,
): Promise<VersionRow[][]> {
  const pages: VersionRow[][] = [];
  let cursor: string | null = null;
  do {
    const page: SearchPage = await index.search(parse(type, cursor ? `${query}&_cursor=${cursor}` : query));
    pages.push(page.matches);
    await between?.(
      pages.length - 1,
      pages.flat().map((v) => v.id),
    );
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 50);
  return pages;
}

describe("compileSearch options", () => {
  it("pages with _count and _offset, selecting one extra row to signal a next page", async () => {
    const c = compileSearch(parse("Observation", "_count=3&_offset=2&_sort=_id"));
    const rows = db.prepare(c.sql).all(...c.args) as { rid: number }[];
    expect(c.limit).toBe(3);
    expect(ids(rows)).toEqual(["o3", "o4", "o5", "o6"]);
    expect(db.prepare(c.countSql).get(...c.countArgs)).toEqual({ total: 7 });
  });

  it("continues after a keyset cursor in default order", async () => {
    const first = compileSearch(parse("Observation", "_count=2"));
    const page1 = db.prepare(first.sql).all(...first.args) as { rid: number }[];
    expect(ids(page1.slice(0, 2))).toEqual(["o1", "o2"]);
    const next = compileSearch(parse("Observation", `_count=2&_cursor=${first.nextCursor(page1[1]!)}`));
    expect(ids((db.prepare(next.sql).all(...next.args) as { rid: number }[]).slice(0, 2))).toEqual(["o3", "o4"]);
  });

  it.each(["", "_sort=_id", ...MUTABLE_SORTS])(
    "pages with keyset cursors (%s) without skips or repeats while resources are added",
    async (sort) => {
      const { index, put } = await ledger(fixtures);
      const expected = ids((await index.search(parse("Observation", `${sort}&_count=100`))).matches);
      const added = {
        resourceType: "Observation",
        id: "new1",
        status: "aaa",
        code: { coding: [{ code: "x" }] },
        effectiveDateTime: "2099-01-01",
        valueQuantity: { value: -1 },
        subject: { reference: "Patient/000" },
      };
      // a resource added mid-way must not shift later pages
      const seen = (
        await walk(index, "Observation", `${sort}&_count=2`, async (page) => {
          if (page === 1) await put(added, "2026-01-01T00:00:00.000Z");
        })
      )
        .flat()
        .map((v) => v.id);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
      // under a sort on values that change it comes after the resources unchanged since the
      // walk began (in rid or id order it comes only if it sorts after the cursor: `n` < `o`)
      expect(seen.includes("new1")).toBe(sort !== "_sort=_id");
      if (sort !== "" && sort !== "_sort=_id") expect(seen.at(-1)).toBe("new1");
    },
  );

  it.each(MUTABLE_SORTS)(
    "pages (%s) without skipping a resource updated to move before or after the cursor",
    async (sort) => {
      const keys = sort
        .slice("_sort=".length)
        .split(",")
        .map((k) => ({ code: k.replace(/^-/, ""), descending: k.startsWith("-") }));
      const obs = (n: number) => ({
        resourceType: "Observation",
        id: `w${String(n).padStart(2, "0")}`,
        status: `s${n % 4}`,
        code: { coding: [{ code: "walk" }] },
        effectiveDateTime: `2010-0${1 + (n % 9)}-1${n % 10}`,
        valueQuantity: { value: 40 + ((n * 7) % 13) },
        subject: { reference: `Patient/p${n % 5}` },
      });
      const { index, put, remove } = await ledger([]);
      const base = "2026-03-01T00:00:00.000Z";
      for (let n = 0; n < 14; n++) await put(obs(n), `2026-02-01T00:00:${String(n).padStart(2, "0")}.000Z`);
      await put(
        { resourceType: "Observation", id: "other", status: "s1", code: { coding: [{ code: "elsewhere" }] } },
        base,
      );
      // An update that puts the resource first (`front`) or last in this search's order.
      let clock = 0;
      const move = async (id: string, where: "front" | "back", extra: Record<string, unknown> = {}) => {
        const low = (k: { descending: boolean }) => (where === "front") !== k.descending;
        const r: Record<string, unknown> = { ...obs(Number(id.slice(1))), id, ...extra };
        let lastUpdated = `2026-04-01T00:00:${String(clock++).padStart(2, "0")}.000Z`;
        for (const k of keys) {
          if (k.code === "status") r.status = low(k) ? "a" : "z";
          if (k.code === "date") r.effectiveDateTime = low(k) ? "1900-01-01" : "2999-01-01";
          if (k.code === "value-quantity") r.valueQuantity = { value: low(k) ? -1000 : 100_000 };
          if (k.code === "subject") r.subject = { reference: low(k) ? "Patient/000" : "Patient/zzz" };
          if (k.code === "_lastUpdated")
            lastUpdated = low(k)
              ? "1900-01-01T00:00:00.000Z"
              : `2999-01-01T00:00:${String(clock).padStart(2, "0")}.000Z`;
        }
        await put(r as FixtureResource, lastUpdated);
      };
      const query = `code=walk&${sort}&_count=3`;
      const start = ids(
        (await index.search(parse("Observation", `${query.replace("_count=3", "_count=100")}`))).matches,
      );
      const changed = new Set<string>();
      /** Ids that must not come on pages read after they stopped matching. */
      const gone = new Map<string, number>();
      const pages = await walk(index, "Observation", query, async (page, seen) => {
        const notYet = start.filter((id) => !seen.includes(id) && !changed.has(id));
        const already = start.filter((id) => seen.includes(id) && !changed.has(id));
        if (page === 0) {
          await move(notYet[1]!, "front"); // before the cursor: the walk used to miss it
          await move(notYet[2]!, "back");
          await move(already[0]!, "back"); // after the cursor: may come twice
          await move(already[1]!, "front");
          await remove("Observation", notYet[3]!);
          await move(notYet[4]!, "back", { code: { coding: [{ code: "no-longer" }] } });
          await put({ ...obs(20), id: "w20" }, "2026-04-02T00:00:00.000Z"); // created during the walk
          changed.add(notYet[1]!).add(notYet[2]!).add(already[0]!).add(already[1]!).add(notYet[3]!).add(notYet[4]!);
          gone.set(notYet[3]!, page).set(notYet[4]!, page);
        }
        if (page === 2) {
          await move(notYet[0]!, "front");
          changed.add(notYet[0]!);
          await move([...changed][0]!, "back"); // changed a second time
        }
        if (page === 3) {
          // by now the walk is among the changed ones: one just read changes again, and comes again
          await move(seen.at(-1)!, "front");
          changed.add(seen.at(-1)!);
        }
      });
      expect(pages.length).toBeGreaterThan(4);
      const end = (await index.search(parse("Observation", query.replace("_count=3", "_count=100")))).matches;
      const seen = pages.flat();
      const seenIds = seen.map((v) => v.id);
      // every resource that matches at the start and at the end comes, at its current version last
      for (const v of end) {
        if (start.includes(v.id) || v.id === "w20") expect(seenIds, v.id).toContain(v.id);
        expect(seen.findLast((s) => s.id === v.id)?.versionId, v.id).toBe(v.versionId);
      }
      // unchanged ones exactly once, in the search's order
      const unchanged = start.filter((id) => !changed.has(id));
      expect(unchanged.length).toBeGreaterThan(5);
      expect(seenIds.filter((id) => unchanged.includes(id))).toEqual(unchanged);
      // gone ones not after they went, and never anything that does not match
      for (const [id, after] of gone)
        expect(
          pages
            .slice(after + 1)
            .flat()
            .map((v) => v.id),
        ).not.toContain(id);
      expect(seenIds).not.toContain("other");
      // never twice on one page, and no empty last page
      for (const page of pages) expect(new Set(page.map((v) => v.id)).size).toBe(page.length);
      expect(pages.at(-1)!.length).toBeGreaterThan(0);
    },
  );

  it("walks a system-level search sorted on _lastUpdated without missing a resource updated to come first", async () => {
    const { index, put } = await ledger(fixtures);
    const request = (q: string) => parseSystemSearchRequest(new URLSearchParams(q));
    const key = (v: VersionRow) => `${v.type}/${v.id}`;
    const start = (await index.search(request("_sort=-_lastUpdated&_count=1000"))).matches.map(key);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: SearchPage = await index.search(
        request(`_sort=-_lastUpdated&_count=4${cursor ? `&_cursor=${cursor}` : ""}`),
      );
      seen.push(...page.matches.map(key));
      if (seen.length === 4)
        await put(fixtures.find((r) => `${r.resourceType}/${r.id}` === start.at(-1))!, "2999-01-01T00:00:00.000Z");
      cursor = page.nextCursor;
    } while (cursor !== null && seen.length < 1000);
    expect(seen.slice(0, -1)).toEqual(start.slice(0, -1));
    expect(seen.at(-1)).toBe(start.at(-1));
  });

  it("ends a walk on its last full page when nothing changed, and goes on for what did", async () => {
    const { index, put } = await ledger(fixtures.filter((r) => r.resourceType === "Observation").slice(0, 6));
    const sizes = async (q: string, between?: (page: number, seen: string[]) => Promise<void>) =>
      (await walk(index, "Observation", q, between)).map((p) => p.length);
    expect(await sizes("_sort=-date&_count=3")).toEqual([3, 3]);
    // the sorted phase's last page is full: one more page with the resource changed
    let updated = "";
    expect(
      await sizes("_sort=-date&_count=3", async (page, seen) => {
        if (page !== 0) return;
        updated = seen[0]!;
        await put({ ...fixtures.find((r) => r.id === updated)!, status: "amended" }, "2026-12-01T00:00:00.000Z");
      }),
    ).toEqual([3, 3, 1]);
    // a short page of the sorted phase is filled up with changed ones
    expect(
      await sizes("_sort=-date&_count=4", async (page, seen) => {
        if (page === 0)
          await put({ ...fixtures.find((r) => r.id === seen[1])!, status: "amended" }, "2026-12-02T00:00:00.000Z");
      }),
    ).toEqual([4, 3]);
    expect(await index.search(parse("Observation", "_sort=-date&_count=0"))).toMatchObject({
      matches: [],
      nextCursor: null,
    });
    expect(await (await ledger([])).index.search(parse("Patient", "_sort=family&_count=1"))).toMatchObject({
      matches: [],
      nextCursor: null,
    });
  });

  it("keeps the default order and _sort=_id as they were: no watermark, no extra condition", async () => {
    for (const q of ["_count=2", "_sort=_id&_count=2", "_sort=-_id&_count=2"]) {
      const first = compileSearch(parse("Observation", q));
      expect(first.walk).toBeUndefined();
      const row = (db.prepare(first.sql).all(...first.args) as Record<string, unknown>[])[1]!;
      const cursor = first.nextCursor(row);
      expect(Array.isArray(JSON.parse(Buffer.from(cursor, "base64url").toString()))).toBe(true);
      expect(compileSearch(parse("Observation", `${q}&_cursor=${cursor}`)).sql).not.toMatch(/versions|leaf_seq/);
    }
  });

  it("rejects a cursor from another search", async () => {
    const c = compileSearch(parse("Observation", "_count=1"));
    const row = (db.prepare(c.sql).all(...c.args) as Record<string, unknown>[])[0]!;
    expect(() => compileSearch(parse("Observation", `_sort=date&_cursor=${c.nextCursor(row)}`))).toThrow(
      FhirLedgerError,
    );
    const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    // the forms of a walk under a sort on values that change, anywhere else
    for (const q of ["_count=1", "_sort=_id"]) {
      expect(() => compileSearch(parse("Observation", `${q}&_cursor=${cursor({ s: 3 })}`))).toThrow(FhirLedgerError);
      expect(() =>
        compileSearch(parse("Observation", `${q}&_cursor=${cursor({ k: q === "_sort=_id" ? ["o1", 1] : [1], w: 3 })}`)),
      ).toThrow(FhirLedgerError);
    }
    for (const bad of [
      { s: -1 },
      { s: 1.5 },
      { s: "3" },
      { s: 3, w: 3 },
      { k: ["2020", 1], w: "3" },
      { k: ["2020"], w: 3 },
      { k: ["2020", 1], w: 3, s: 4 },
      { k: ["2020", 1] },
      {},
      null,
      7,
    ]) {
      expect(
        () => compileSearch(parse("Observation", `_sort=date&_cursor=${cursor(bad)}`)),
        JSON.stringify(bad),
      ).toThrow(FhirLedgerError);
    }
    // a cursor of the earlier form still continues its walk (from then on with a watermark)
    expect(compileSearch(parse("Observation", `_sort=date&_cursor=${cursor(["2020", 1])}`)).walk).toEqual({
      watermark: undefined,
      changedSince: expect.any(Function),
    });
  });

  it("applies a policy condition inside the query, so totals count only what the caller may see", async () => {
    const where = {
      sql: "r.rid IN (SELECT rid FROM sp_reference WHERE param = 'subject' AND target_type = 'Patient' AND target_id = ?)",
      args: ["p1"],
    };
    const c = compileSearch(parse("Observation", "code=29463-7"), { where });
    expect(ids(db.prepare(c.sql).all(...c.args) as { rid: number }[])).toEqual(["o1", "o2"]);
    expect(db.prepare(c.countSql).get(...c.countArgs)).toEqual({ total: 2 });
  });

  it("defaults and caps the page size", async () => {
    expect(compileSearch(parse("Patient", "")).limit).toBe(20);
    expect(compileSearch(parse("Patient", "_count=500"), { maxCount: 50 }).limit).toBe(50);
    expect(compileSearch(parse("Patient", "_count=0")).limit).toBe(0);
  });

  it("never puts a user value into the SQL text", async () => {
    const evil = "x' OR '1'='1";
    for (const [type, key] of [
      ["Patient", "name"],
      ["Observation", "subject:Patient.name"],
      ["Patient", "_has:Observation:subject:code"],
      ["Patient", "_id"],
    ] as const) {
      const c = compileSearch(parseSearchRequest(type, [[key, evil]]));
      expect(c.sql).not.toMatch(/'1'/);
      expect(c.args.some((a) => typeof a === "string" && a.toLowerCase() === evil.toLowerCase())).toBe(true);
    }
  });

  it("counts the terms a search compiles to and refuses more than maxTerms, naming the limit", async () => {
    // one subquery and one condition per value; an untyped chain one branch per target type
    expect(() => compileSearch(parse("Patient", "family=a,b,c"), { maxTerms: 4 })).not.toThrow();
    expect(() => compileSearch(parse("Patient", "family=a,b,c,d"), { maxTerms: 4 })).toThrow(
      expect.objectContaining({ code: "invalid", issues: [expect.objectContaining({ type: "too-costly" })] }),
    );
    const chain = parse("Observation", "subject.name=a");
    expect(() => compileSearch(chain, { maxTerms: 8 })).not.toThrow(); // x, b, 2 × (branch, t, value)
    expect(() => compileSearch(chain, { maxTerms: 7 })).toThrow(
      /more than 7 SQL terms \(FHIRLEDGER_MAX_SEARCH_TERMS\)/,
    );
    const pair = parse("Observation", "code-value-quantity=http://loinc.org|1$5,http://loinc.org|2$6");
    // p and two pairs, and the p of the count read from the pair index alone
    expect(() => compileSearch(pair, { maxTerms: 4 })).not.toThrow();
    expect(() => compileSearch(pair, { maxTerms: 3 })).toThrow(FhirLedgerError);
  });

  it("refuses a search binding more values than SQLite takes, before SQLite does", async () => {
    const many: SearchRequest = parse("Patient", "_id=a");
    (many.filters[0] as { values: unknown[] }).values = Array.from({ length: 33_000 }, (_, i) => ({ value: `p${i}` }));
    expect(() => compileSearch(many, { maxOrValues: 40_000, maxTerms: 40_000 })).toThrow(
      /binds more than 32766 values/,
    );
  });

  it("enforces chain depth and OR-count caps on hand-built requests", async () => {
    const deep = parse("Observation", "patient.organization.partof.name=x");
    expect(() => compileSearch(deep, { maxChainDepth: 2 })).toThrow(FhirLedgerError);
    const many: SearchRequest = parse("Patient", "name=a");
    (many.filters[0] as { values: unknown[] }).values = Array.from({ length: 11 }, () => ({ value: "a" }));
    expect(() => compileSearch(many, { maxOrValues: 10 })).toThrow(FhirLedgerError);
    expect(() => compileSearch(parse("Patient", "_sort=name&_cursor=r5"))).toThrow(FhirLedgerError);
    expect(() => compileSearch(parse("Patient", "_cursor=W251bGwsImEiXQ"))).toThrow(FhirLedgerError);
  });

  it("matches UCUM quantities across units (kg, [lb_av], t) and non-convertible units by code", async () => {
    expect(runSearch(db, "Observation", "value-quantity=ge72|http://unitsofmeasure.org|kg").ids).toEqual([
      "Observation/o1",
      "Observation/o2",
      "Observation/o7",
    ]);
    expect(runSearch(db, "Observation", "value-quantity=72000|http://unitsofmeasure.org|g").ids).toEqual([
      "Observation/o7",
    ]);
    expect(runSearch(db, "Encounter", "length=0.5|http://unitsofmeasure.org|h").ids).toEqual(["Encounter/e1"]);
    expect(runSearch(db, "Observation", "value-quantity=37|http://unitsofmeasure.org|Cel").ids).toEqual([
      "Observation/o5",
    ]);
  });

  it("supports _id and _lastUpdated through chains", async () => {
    expect(runSearch(db, "Observation", "subject._id=p2").ids).toEqual(["Observation/o3"]);
    expect(runSearch(db, "Observation", "subject:Patient._lastUpdated=le2026-11-20T08:05:00Z").ids).toEqual([
      "Observation/o1",
      "Observation/o2",
    ]);
  });
});

describe("orders that an index can serve", () => {
  const db = createTestDb(fixtures);
  it.each([
    ["Observation", "_count=2", "resources_type_live"],
    ["Observation", "_sort=_lastUpdated&_count=2", "resources_type_updated"],
    ["Observation", "_sort=-_lastUpdated&_count=2", "resources_type_updated"],
  ])("%s?%s reads %s in order instead of sorting every resource of the type", (type, query, index) => {
    const c = compileSearch(parse(type, query));
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...c.args) as { detail: string }[])
      .map((r) => r.detail)
      .join("\n");
    expect(plan).toContain(index);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  const explain = (sql: string, args: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(args as never[])) as { detail: string }[]).map((r) => r.detail);
  const later = (query: string, cursor: unknown) =>
    compileSearch(
      parse("Observation", `${query}&_cursor=${Buffer.from(JSON.stringify(cursor)).toString("base64url")}`),
    );

  it.each(["_sort=_lastUpdated", "_sort=-_lastUpdated"])(
    "Observation?%s keeps its index order on later pages, with one version lookup per row",
    (sort) => {
      const c = later(`${sort}&_count=2`, { k: ["2026-11-20T08:05:00.000Z", 5], w: 40 });
      const plan = explain(c.sql, c.args);
      expect(plan.join("\n")).toContain("resources_type_updated");
      expect(plan).toContain("SEARCH cv USING PRIMARY KEY (rid=? AND version=?)");
      expect(plan.join("\n")).not.toMatch(/TEMP B-TREE|SCAN /);
    },
  );

  it("reads what changed during a walk in seq order from the versions index, or per rid of a driving list", async () => {
    const all = later("_sort=-date&_count=2", { s: 40 });
    expect(explain(all.sql, all.args)).toEqual([
      expect.stringMatching(/^SEARCH v USING INDEX \S+ \(leaf_seq>\?\)$/),
      "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)",
    ]);
    const some = later("patient=Patient/p1&_sort=-date&_count=2", { s: 40 });
    const plan = explain(some.sql, some.args).join("\n");
    expect(plan).toContain("SEARCH v USING PRIMARY KEY (rid=?)");
    expect(plan).not.toMatch(/SCAN /);
  });
});
