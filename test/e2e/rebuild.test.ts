import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteIndex } from "../../src/adapters/index/sqlite/SqliteIndex.ts";
import { SEARCH_TABLES } from "../../src/adapters/index/sqlite/search/searchSchema.ts";
import { sqliteSearchIndexer } from "../../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { parseSearchRequest } from "../../src/fhir/search/parseSearchRequest.ts";
import { compartmentOf } from "../../src/fhir/resource/meta.ts";
import { RecordRepository } from "../../src/records/RecordRepository.ts";
import { rebuildIndex } from "../../src/records/rebuildIndex.ts";
import { verifyRecord } from "../../src/records/verifyRecord.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("rebuild: a fresh index from chain events + IPFS + keys answers exactly like the live one", () => {
  let server: TestServer;
  let outDir: string;

  beforeAll(async () => {
    // The counts below are of the records written here; with audit on, the server's own
    // AuditEvents (one per request, materialised in the background) would join them unanchored.
    server = await startTestServer({ env: { FHIRLEDGER_AUDIT: "off" } });
    outDir = await mkdtemp(join(tmpdir(), "fhirledger-rebuild-"));
    const post = async (type: string, body: object) =>
      (
        await server.json<{ id: string }>(`/${type}`, {
          method: "POST",
          body: JSON.stringify({ resourceType: type, ...body }),
        })
      ).body.id;
    const patients: string[] = [];
    for (let p = 0; p < 6; p++) {
      const pid = await post("Patient", { name: [{ family: `Rebuild${p}` }], gender: p % 2 ? "male" : "female" });
      patients.push(pid);
      for (let o = 0; o < 5; o++) {
        const oid = await post("Observation", {
          status: "final",
          code: { text: `obs ${o}` },
          subject: { reference: `Patient/${pid}` },
          valueQuantity: { value: o },
        });
        if (o === 0) {
          await server.json(`/Observation/${oid}`, {
            method: "PUT",
            body: JSON.stringify({
              resourceType: "Observation",
              id: oid,
              status: "amended",
              code: { text: "obs 0" },
              subject: { reference: `Patient/${pid}` },
            }),
          });
        }
        if (o === 1) await server.request(`/Observation/${oid}`, { method: "DELETE" });
      }
    }
    await post("Organization", { name: "General Hospital" });
    await server.json("/Practitioner/prac-1", {
      method: "PUT",
      body: JSON.stringify({ resourceType: "Practitioner", id: "prac-1", name: [{ family: "Who" }] }),
    });
    // the erasures' AuditEvents are materialised from the journal: stored before anchoring
    await server.audit.flush();
    await server.anchorer.flush();
    // erase one patient after anchoring, another before their writes are anchored
    await server.json(`/Patient/${patients[0]}/$erase`, {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Parameters",
        parameter: [{ name: "reason", valueCode: "test-data" }],
      }),
    });
    await server.anchorer.stop();
    const late = await post("Patient", { name: [{ family: "Late" }] });
    await server.json(`/Patient/${late}/$erase`, {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Parameters",
        parameter: [{ name: "reason", valueCode: "test-data" }],
      }),
    });
    await post("Patient", { name: [{ family: "Last" }] });
    // the erasures' AuditEvents are materialised from the journal: stored before anchoring
    await server.audit.flush();
    await server.anchorer.flush();
  });

  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
    await removeDir(outDir);
  });

  it("restores every version, delete, proof and anchor; erased records stay erased", async () => {
    const rebuilt = new SqliteIndex({
      searchKey: await server.keys.searchIndexKey(),
      path: join(outDir, "index.sqlite"),
      search: sqliteSearchIndexer,
      bulkLoad: true,
    });
    const report = await rebuildIndex({
      ledger: server.ledger,
      blobs: server.blobs,
      keys: server.keys,
      index: rebuilt,
    });
    rebuilt.finishBulkLoad();
    const live = server.index;
    expect(report.batches).toBe((await live.batches()).length);
    expect(report.chainBreaks).toBe(0);
    expect(report.unavailable).toBeGreaterThan(0);

    const q = (db: SqliteIndex, sql: string) => db.db.prepare(sql).all();
    expect(
      q(rebuilt, "SELECT type, id, version, deleted, last_updated, compartment FROM resources ORDER BY type, id"),
    ).toEqual(q(live, "SELECT type, id, version, deleted, last_updated, compartment FROM resources ORDER BY type, id"));
    const versionsSql = `SELECT r.type, r.id, v.version, v.last_updated, v.deleted, v.cid, v.content_hash, v.key_id, v.compartment, v.created_by_update, l.leaf_hash, l.leaf_index, p.path, b.root, b.tx_hash, b.block_number
      FROM versions v JOIN resources r ON r.rid = v.rid JOIN leaves l ON l.seq = v.leaf_seq JOIN leaf_paths p ON p.seq = l.seq JOIN batches b ON b.batch_id = l.batch_id ORDER BY r.type, r.id, v.version`;
    const liveVersions = q(live, versionsSql);
    expect(liveVersions.length).toBe(45);
    const rebuiltVersions = q(rebuilt, versionsSql);
    const differing = liveVersions
      .map((row, i) => [row, rebuiltVersions[i]])
      .filter(([a, b]) => JSON.stringify(a) !== JSON.stringify(b));
    expect(differing).toEqual([]);
    expect(rebuiltVersions).toEqual(liveVersions);
    // A create by PUT at a client id (Practitioner/prac-1) stays one after the rebuild (it travels in the batch manifest).
    expect((await rebuilt.version("Practitioner", "prac-1", 1))?.createdByUpdate).toBe(true);
    expect(q(rebuilt, "SELECT root, prev_root, size, manifest_digest, tx_hash FROM batches ORDER BY batch_id")).toEqual(
      q(live, "SELECT root, prev_root, size, manifest_digest, tx_hash FROM batches ORDER BY batch_id"),
    );

    // Search rows are the same (rids may differ: erased resources left gaps in the live one).
    for (const table of SEARCH_TABLES) {
      const columns = (live.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[])
        .map((c) => c.name)
        .filter((c) => c !== "rid");
      const sql = `SELECT r.type AS rtype, r.id AS rid_, ${columns.map((c) => `s.${c}`).join(", ")} FROM ${table} s JOIN resources r ON r.rid = s.rid ORDER BY 1, 2, ${columns.map((_, i) => i + 3).join(", ")}`;
      expect(q(rebuilt, sql), table).toEqual(q(live, sql));
    }
    const searches: [string, string][] = [
      ["Observation", "code:text=obs&_sort=-_lastUpdated&_count=100"],
      ["Observation", "status=amended"],
      ["Patient", "gender=male&_revinclude=Observation:patient"],
      ["Observation", "value-quantity=ge2&_total=accurate"],
      ["Practitioner", "family=Who"],
    ];
    for (const [type, query] of searches) {
      const request = parseSearchRequest(type, new URLSearchParams(query));
      const strip = (page: Awaited<ReturnType<SqliteIndex["search"]>>) => ({
        ...page,
        matches: page.matches.map((v) => `${v.type}/${v.id}/${v.versionId}`),
        included: page.included.map((v) => `${v.type}/${v.id}/${v.versionId}`),
        nextCursor: null,
      });
      const expected = strip(await live.search(request, { countTotal: true }));
      expect(expected.matches.length, `${type}?${query} finds something`).toBeGreaterThan(0);
      expect(strip(await rebuilt.search(request, { countTotal: true })), `${type}?${query}`).toEqual(expected);
    }

    // The same interactions over both indexes give the same answers, proofs included.
    const liveRepo = server.records;
    const rebuiltRepo = new RecordRepository({
      index: rebuilt,
      blobs: server.blobs,
      keys: server.keys,
      compartmentOf: (r) => compartmentOf(r, server.baseUrl),
    });
    const resources = q(live, "SELECT type, id, version FROM resources") as {
      type: string;
      id: string;
      version: number;
    }[];
    for (const { type, id, version } of resources) {
      const outcome = async (fn: () => Promise<unknown>) =>
        fn().then(
          (v) => ({ ok: v }),
          (e: { code?: string }) => ({ error: e.code }),
        );
      expect(await outcome(() => rebuiltRepo.read(type, id))).toEqual(await outcome(() => liveRepo.read(type, id)));
      const historyOf = (index: SqliteIndex, repo: RecordRepository) => async () =>
        Promise.all(
          (await index.historyPage({ type, id, count: 1000 })).versions.map((v) =>
            v.deleted ? { row: v, resource: null } : repo.load(v),
          ),
        );
      expect(await outcome(historyOf(rebuilt, rebuiltRepo))).toEqual(await outcome(historyOf(live, liveRepo)));
      for (let v = 1; v <= version; v++) {
        const a = await verifyRecord((await live.version(type, id, v))!, {
          index: live,
          ledger: server.ledger,
          records: liveRepo,
        });
        const b = await verifyRecord((await rebuilt.version(type, id, v))!, {
          index: rebuilt,
          ledger: server.ledger,
          records: rebuiltRepo,
        });
        expect(b).toEqual(a);
        expect(b.verdict).toBe("verified");
      }
    }
    rebuilt.close();
  });
});
