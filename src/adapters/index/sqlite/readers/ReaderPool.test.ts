import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { parseSearchRequest } from "../../../../fhir/search/parseSearchRequest.ts";
import type { VersionWrite } from "../../../../ports/VersionStore.ts";
import { sqliteSearchIndexer } from "../search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "../SqliteIndex.ts";
import { ReaderPool } from "./ReaderPool.ts";
import { TEST_SEARCH_KEY } from "../search/testSupport/testSearchKey.ts";

const patient = (n: number): VersionWrite => ({
  type: "Patient",
  id: `p${n}`,
  versionId: 1,
  expectedPreviousVersion: 0,
  lastUpdated: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  deleted: false,
  cid: `cid-${n}`,
  contentHash: "00",
  keyId: null,
  compartment: `Patient/p${n}`,
  leafHash: new Uint8Array(32).fill(n % 251),
  resource: {
    resourceType: "Patient",
    id: `p${n}`,
    name: [{ family: `Family${n % 7}`, given: [`Given${n}`] }],
    birthDate: `19${50 + (n % 40)}-01-01`,
  },
});

const observation = (n: number): VersionWrite => ({
  ...patient(n),
  type: "Observation",
  id: `o${n}`,
  cid: `cid-o-${n}`,
  resource: {
    resourceType: "Observation",
    id: `o${n}`,
    status: "final",
    code: { text: "x" },
    subject: { reference: `Patient/p${n % 10}` },
  },
});

describe("ReaderPool: index reads on worker threads", () => {
  let dir: string;
  let pooled: SqliteIndex;
  let inline: SqliteIndex;
  const path = () => join(dir, "index.sqlite");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-readers-"));
    pooled = new SqliteIndex({
      searchKey: TEST_SEARCH_KEY,
      path: path(),
      search: sqliteSearchIndexer,
      readers: { count: 2, queryTimeoutMs: 30_000 },
    });
    await pooled.commitMany(Array.from({ length: 40 }, (_, i) => patient(i)));
    await pooled.commitMany(Array.from({ length: 40 }, (_, i) => observation(i)));
    // the same file read on the calling thread: the reference answers
    inline = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path: path(), search: sqliteSearchIndexer });
  });
  afterAll(async () => {
    await pooled?.close();
    await inline?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers searches, history and compartment pages exactly as the calling thread does", async () => {
    for (const [type, query] of [
      ["Patient", "family=Family3&_sort=-birthdate&_count=4"],
      ["Patient", "_count=5&_total=accurate"],
      ["Observation", "subject.family=Family2&_include=Observation:subject"],
      ["Patient", "_has:Observation:subject:status=final&_count=3"],
    ] as const) {
      const request = parseSearchRequest(type, new URLSearchParams(query));
      const options = { countTotal: true };
      expect(await pooled.search(request, options), `${type}?${query}`).toEqual(await inline.search(request, options));
    }
    const history = { type: "Patient", count: 7, countTotal: true };
    expect(await pooled.historyPage(history)).toEqual(await inline.historyPage(history));
    const compartment = { compartment: "Patient/p3", count: 10, countTotal: true, includeReferenced: true };
    expect(await pooled.compartmentPage(compartment)).toEqual(await inline.compartmentPage(compartment));
    expect(await pooled.everyCompartmentPage({ count: 6 })).toEqual(await inline.everyCompartmentPage({ count: 6 }));
  });

  it("sees a commit made on the writer connection at once", async () => {
    const request = parseSearchRequest("Patient", new URLSearchParams("given=Given999"));
    expect((await pooled.search(request, {})).matches).toEqual([]);
    await pooled.commit(patient(999));
    expect((await pooled.search(request, {})).matches.map((v) => v.id)).toEqual(["p999"]);
  });

  it("answers bad queries with the same 4xx error as the calling thread", async () => {
    const request = parseSearchRequest("Patient", new URLSearchParams("_count=2"));
    const bad = { ...request, cursor: "not-a-cursor" };
    const error = await pooled.search(bad, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirLedgerError);
    const same = await inline.search(bad, {}).catch((e: unknown) => e);
    expect((error as FhirLedgerError).code).toBe((same as FhirLedgerError).code);
    expect((error as FhirLedgerError).message).toBe((same as FhirLedgerError).message);
  });

  it("stops a query at its deadline with a 400 too-costly, keeps the event loop free meanwhile, and goes on with a new reader", async () => {
    const pool = new ReaderPool({
      path: path(),
      readers: 1,
      queryTimeoutMs: 300,
      searchKey: TEST_SEARCH_KEY,
      workerUrl: new URL("./testSupport/stallingWorker.ts", import.meta.url),
    });
    try {
      const stall = parseSearchRequest("Patient", new URLSearchParams("_count=1"));
      const quick = await pool.historyPage({ count: 1 });
      expect(quick).toMatchObject({ kind: "history" });
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const started = Date.now();
      const stuck = await pool.search({ ...stall, type: "Stall" }, {}).catch((e: unknown) => e);
      const waited = Date.now() - started;
      clearInterval(ticker);
      expect(stuck).toBeInstanceOf(FhirLedgerError);
      expect(stuck).toMatchObject({ code: "invalid", issues: [{ type: "too-costly" }] });
      expect((stuck as Error).message).toContain("FHIRLEDGER_QUERY_TIMEOUT_MS");
      expect(waited).toBeGreaterThanOrEqual(290);
      expect(waited).toBeLessThan(10_000); // not the 20 s the worker would block: it was ended
      // the main thread ran its timers all along (the same work on this thread would have held it)
      expect(ticks).toBeGreaterThan(5);
      // a new reader takes the next queries
      const [history, next] = await Promise.all([
        pool.historyPage({ count: 1 }),
        pool.compartmentPage({ compartment: "Patient/p1", count: 1 }),
      ]);
      expect(history).toMatchObject({ kind: "history" });
      expect(next).toMatchObject({ kind: "compartment" });
    } finally {
      await pool.close();
    }
  });
});
