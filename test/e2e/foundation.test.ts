import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Interface, JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContractArtifact } from "../../src/adapters/ledger/artifacts.ts";
import { flipBlockByte, storedBlocks } from "../support/blocksDb.ts";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const patient = {
  resourceType: "Patient",
  identifier: [{ system: "urn:oid:1.2.36.146.595.217.0.1", value: "MRN-7734-ZEBRA" }],
  name: [{ family: "Quixotewright", given: ["Evangelina"] }],
  gender: "female",
  birthDate: "1974-12-25",
};

function observationFor(patientId: string) {
  return {
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "29463-7", display: "Body Weight" }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: "2026-11-20T09:30:00Z",
    valueQuantity: { value: 71.3, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" },
  };
}

/** Every file under dir (the IPFS repo: blocks.db, its WAL, the datastore). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe("foundation: FHIR REST → encrypted IPFS → SQLite → anchored root, end to end on real components", () => {
  let server: TestServer;
  let dataDir: string;
  let patientId: string;
  let observationId: string;
  const seenIds: string[] = [];
  const seenCids: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(dataDir);
  });

  it("serves an honest CapabilityStatement without authentication", async () => {
    const { status, body } = await server.json<{
      resourceType: string;
      fhirVersion: string;
      rest: { resource: { type: string; interaction: { code: string }[] }[] }[];
    }>("/metadata", { auth: false });
    expect(status).toBe(200);
    expect(body.resourceType).toBe("CapabilityStatement");
    expect(body.fhirVersion).toBe("4.0.1");
    const patientEntry = body.rest[0]!.resource.find((r) => r.type === "Patient")!;
    expect(patientEntry.interaction.map((i) => i.code).sort()).toEqual([
      "create",
      "delete",
      "history-instance",
      "history-type",
      "patch",
      "read",
      "search-type",
      "update",
      "vread",
    ]);
    expect((patientEntry as { searchParam?: { name: string }[] }).searchParam?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["family", "birthdate", "identifier", "_id", "_lastUpdated"]),
    );
    expect(body.rest[0]!.resource.length).toBeGreaterThan(140);
  });

  it("rejects requests without a valid bearer token with 401", async () => {
    const none = await server.json<{ resourceType: string }>("/Patient/abc", { auth: false });
    expect(none.status).toBe(401);
    expect(none.body.resourceType).toBe("OperationOutcome");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await server.json("/Patient/abc", { headers: { authorization: "Bearer not-the-token-at-all" } });
    expect(wrong.status).toBe(401);
  });

  it("creates a Patient and an Observation and reads them back", async () => {
    const created = await server.json<{ id: string; meta: { versionId: string; lastUpdated: string } }>("/Patient", {
      method: "POST",
      body: JSON.stringify(patient),
    });
    expect(created.status).toBe(201);
    patientId = created.body.id;
    expect(created.body.meta.versionId).toBe("1");
    expect(created.headers.get("etag")).toBe('W/"1"');
    expect(created.headers.get("location")).toBe(`${server.baseUrl}/Patient/${patientId}/_history/1`);
    expect(created.headers.get("last-modified")).toBe(new Date(created.body.meta.lastUpdated).toUTCString());

    const obs = await server.json<{ id: string }>("/Observation", {
      method: "POST",
      body: JSON.stringify(observationFor(patientId)),
    });
    expect(obs.status).toBe(201);
    observationId = obs.body.id;
    seenIds.push(patientId, observationId);

    const read = await server.json<Record<string, unknown>>(`/Patient/${patientId}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
    const { meta: _m, id: _i, ...rest } = read.body;
    expect(rest).toEqual(patient);
    const readObs = await server.json<{ valueQuantity: { value: number } }>(`/Observation/${observationId}`);
    expect(readObs.body.valueQuantity.value).toBe(71.3);
  });

  it("updates, vreads, lists history, deletes (410) and answers 404 for unknown ids", async () => {
    const v2 = { ...patient, id: patientId, gender: "other" };
    const updated = await server.json<{ meta: { versionId: string } }>(`/Patient/${patientId}`, {
      method: "PUT",
      body: JSON.stringify(v2),
      headers: { "if-match": 'W/"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.meta.versionId).toBe("2");
    const stale = await server.json<{ resourceType: string }>(`/Patient/${patientId}`, {
      method: "PUT",
      body: JSON.stringify(v2),
      headers: { "if-match": 'W/"1"' },
    });
    expect(stale.status).toBe(412);
    const v1 = await server.json<{ gender: string }>(`/Patient/${patientId}/_history/1`);
    expect(v1.body.gender).toBe("female");
    const history = await server.json<{
      type: string;
      total: number;
      entry: { resource: { meta: { versionId: string } } }[];
    }>(`/Patient/${patientId}/_history`);
    expect(history.body.type).toBe("history");
    expect(history.body.entry.map((e) => e.resource.meta.versionId)).toEqual(["2", "1"]);

    // update-as-create with a client-chosen id
    const clientId = "client-chosen-id-1";
    const upsert = await server.json(`/Observation/${clientId}`, {
      method: "PUT",
      body: JSON.stringify({ ...observationFor(patientId), id: clientId }),
    });
    expect(upsert.status).toBe(201);
    seenIds.push(clientId);
    expect((await server.request(`/Observation/${clientId}`, { method: "DELETE" })).status).toBe(204);
    const gone = await server.json<{ resourceType: string }>(`/Observation/${clientId}`);
    expect(gone.status).toBe(410);
    expect(gone.body.resourceType).toBe("OperationOutcome");
    expect((await server.json(`/Observation/does-not-exist`)).status).toBe(404);
    expect((await server.json(`/Observation/${clientId}/_history/1`)).status).toBe(200);
  });

  it("answers bad input with a clear 4xx OperationOutcome, never 5xx", async () => {
    const cases: [string, RequestInit & { auth?: boolean }, number, RegExp?][] = [
      [
        "/Patient",
        { method: "POST", body: "{not json", headers: { "content-type": "application/fhir+json" } },
        400,
        /JSON/,
      ],
      ["/Patient", { method: "POST", body: JSON.stringify(patient), headers: { "content-type": "text/plain" } }, 415],
      [
        "/Patient",
        { method: "POST", body: JSON.stringify({ ...patient, resourceType: "Observation" }) },
        400,
        /resourceType/,
      ],
      ["/NotAType", { method: "POST", body: JSON.stringify({ resourceType: "NotAType" }) }, 404, /NotAType/],
      ["/Patient", { method: "POST", body: JSON.stringify({ ...patient, gender: 42 }) }, 400],
      ["/Patient", { method: "POST", body: "[1,2,3]" }, 400],
      ["/Patient", { method: "POST", body: "" }, 400],
      [
        `/Patient/${patientId}`,
        { method: "PUT", body: JSON.stringify({ ...patient, id: "someone-else" }) },
        400,
        /id in body differs/,
      ],
      [`/Patient/${patientId}`, { method: "GET", headers: { accept: "application/fhir+xml" } }, 406],
      [`/Patient/${patientId}?_format=xml`, { method: "GET" }, 406],
      ["/Patient/bad$id!", { method: "GET" }, 400],
      [`/Patient/${patientId}/_history/abc`, { method: "GET" }, 404],
      ["/Patient", { method: "POST", body: JSON.stringify({ ...patient, filler: "x".repeat(33 * 1024 * 1024) }) }, 413],
      [
        "/Patient",
        { method: "POST", body: JSON.stringify(patient), headers: { "content-encoding": "gzip" } },
        415,
        /compressed/,
      ],
    ];
    for (const [path, init, expected, diagnostics] of cases) {
      const res = await server.json<{ resourceType: string; issue: { diagnostics: string; expression?: string[] }[] }>(
        path,
        init,
      );
      expect({ path, method: init.method, status: res.status }).toEqual({
        path,
        method: init.method,
        status: expected,
      });
      expect(res.body.resourceType).toBe("OperationOutcome");
      if (diagnostics) expect(res.body.issue.map((i) => i.diagnostics).join(" ")).toMatch(diagnostics);
    }
    const schema = await server.json<{ issue: { expression?: string[] }[] }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ ...patient, gender: 42 }),
    });
    expect(schema.body.issue.flatMap((i) => i.expression ?? [])).toContain("Patient.gender");
    // nothing of the rejected writes was stored
    const history = await server.json<{ total: number }>(`/Patient/${patientId}/_history`);
    expect(history.body.total).toBe(2);
  });

  it("stores only ciphertext in the blockstore", async () => {
    const needles = [
      "Quixotewright",
      "Evangelina",
      "MRN-7734-ZEBRA",
      "1974-12-25",
      "29463-7",
      "Body Weight",
      patientId,
      observationId,
      "Patient",
      "Observation",
      "resourceType",
    ];
    const blocks = storedBlocks(join(dataDir, "ipfs", "blocks.db"));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const bytes of blocks) expect(Buffer.from(bytes).toString("latin1").startsWith("FLE1")).toBe(true);
    // Nor anywhere else in the repo's files, committed or still in the WAL.
    const files = await filesUnder(join(dataDir, "ipfs"));
    expect(files.some((f) => f.endsWith("blocks.db"))).toBe(true);
    for (const file of files) {
      const text = (await readFile(file)).toString("latin1");
      for (const needle of needles) expect(text.includes(needle), `${needle} in ${file}`).toBe(false);
    }
  });

  it("$verify reports verified once the batch is anchored, with a proof anyone can check", async () => {
    const verified = await eventually(async () => {
      const { body } = await server.json<{ parameter: { name: string }[] }>(`/Patient/${patientId}/$verify`);
      return param(body, "verdict") === "verified" ? body : undefined;
    }, 10_000);
    for (const name of [
      "leafHash",
      "cid",
      "root",
      "chainId",
      "contract",
      "transactionHash",
      "blockNumber",
      "leafIndex",
      "treeSize",
    ]) {
      expect(param(verified, name), name).toBeDefined();
    }
    expect(param(verified, "chainId")).toBe("31337");
    seenCids.push(String(param(verified, "cid")));
    // the transaction really is on chain and emitted this root
    const provider = new JsonRpcProvider(server.chain!.rpcUrl);
    const receipt = await provider.getTransactionReceipt(String(param(verified, "transactionHash")));
    expect(receipt?.blockNumber).toBe(param(verified, "blockNumber"));
    expect(receipt!.logs.some((l) => l.topics[1] === `0x${String(param(verified, "root"))}`)).toBe(true);
    provider.destroy();

    const v1 = await server.json<{ parameter: { name: string }[] }>(`/Patient/${patientId}/_history/1/$verify`);
    expect(param(v1.body, "verdict")).toBe("verified");
    seenCids.push(String(param(v1.body, "cid")));
    const obs = await eventually(async () => {
      const { body } = await server.json<{ parameter: { name: string }[] }>(`/Observation/${observationId}/$verify`);
      return param(body, "verdict") === "verified" ? body : undefined;
    });
    seenCids.push(String(param(obs, "cid")));
  });

  it("reads back and verifies after a restart", async () => {
    await server.close();
    server = await startTestServer({ dataDir });
    const read = await server.json<{ name: { family: string }[] }>(`/Patient/${patientId}`);
    expect(read.status).toBe(200);
    expect(read.body.name[0]!.family).toBe("Quixotewright");
    const { body } = await server.json(`/Patient/${patientId}/$verify`);
    expect(param(body, "verdict")).toBe("verified");
  });

  it("re-anchors every version when the dev chain was wiped, and says so", async () => {
    await server.close();
    await rm(join(dataDir, "chain"), { recursive: true, force: true });
    server = await startTestServer({ dataDir });
    expect(server.logs.join("\n")).toMatch(/anchoring them again/);
    const verified = await eventually(async () => {
      const { body } = await server.json(`/Observation/${observationId}/$verify`);
      return param(body, "verdict") === "verified" ? body : undefined;
    }, 10_000);
    expect(param(verified, "verdict")).toBe("verified");
    const { body } = await server.json(`/Patient/${patientId}/_history/1/$verify`);
    expect(param(body, "verdict")).toBe("verified");
  });

  it("detects a flipped byte in a stored blob: integrity error on read, mismatch on $verify", async () => {
    const victim = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ ...patient, name: [{ family: "Tamperton" }] }),
    });
    const id = victim.body.id;
    seenIds.push(id);
    const before = await server.json(`/Patient/${id}/$verify`);
    const cid = String(param(before.body, "cid"));
    seenCids.push(cid);
    const { CID } = await import("multiformats/cid");
    flipBlockByte(join(dataDir, "ipfs", "blocks.db"), CID.parse(cid).multihash.bytes, -20, 0x01);
    const read = await server.json<{ resourceType: string; issue: { code: string; diagnostics: string }[] }>(
      `/Patient/${id}`,
    );
    expect(read.status).toBe(500);
    expect(read.body.resourceType).toBe("OperationOutcome");
    expect(read.body.issue[0]!.diagnostics).toMatch(/integrity/);
    expect(JSON.stringify(read.body)).not.toContain("Tamperton");
    const after = await server.json(`/Patient/${id}/$verify`);
    expect(param(after.body, "verdict")).toBe("mismatch");
    // the refused read left a major-failure (action made unavailable) integrity AuditEvent
    const audits = await server.json<{ entry?: { resource: { outcome: string; subtype: { code: string }[] } }[] }>(
      `/AuditEvent?entity=Patient/${id}&outcome=12&_count=100`,
    );
    const events = (audits.body.entry ?? []).map((e) => e.resource);
    expect(events.some((e) => e.subtype.some((s) => s.code === "integrity-failure"))).toBe(true);
  });

  it("detects a changed index row", async () => {
    const victim = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ ...patient, name: [{ family: "Rowchanger" }] }),
    });
    const id = victim.body.id;
    seenIds.push(id);
    server.index.db
      .prepare("UPDATE versions SET content_hash = ? WHERE rid = (SELECT rid FROM resources WHERE id = ?)")
      .run("0".repeat(64), id);
    const read = await server.json(`/Patient/${id}`);
    expect(read.status).toBe(500);
    const after = await server.json(`/Patient/${id}/$verify`);
    expect(param(after.body, "verdict")).toBe("mismatch");
  });

  it("every event and calldata the contracts saw holds no resource id, patient id, name or CID", async () => {
    await server.anchorer.flush();
    const provider = new JsonRpcProvider(server.chain!.rpcUrl);
    const latest = await provider.getBlockNumber();
    const iface = new Interface(loadContractArtifact("RecordAnchor").abi as never);
    const logs = await provider.getLogs({ fromBlock: 0, toBlock: latest });
    expect(logs.length).toBeGreaterThan(0);
    const forbidden = [
      ...seenIds,
      ...seenCids,
      "Quixotewright",
      "Evangelina",
      "MRN-7734-ZEBRA",
      "Tamperton",
      "Rowchanger",
    ];
    const hexOf = (s: string) => Buffer.from(s, "utf8").toString("hex");
    const { CID } = await import("multiformats/cid");
    // a CID could also hide in binary form: its digest bytes
    const digests = seenCids.map((c) => Buffer.from(CID.parse(c).multihash.digest).toString("hex"));
    for (const log of logs) {
      const parsed = iface.parseLog(log);
      // Only the contract's own events: access-control grants at deployment, then roots.
      expect(["RootAnchored", "RoleGranted"]).toContain(parsed?.name);
      if (parsed!.name === "RootAnchored") {
        expect(Object.keys(parsed!.args.toObject()).sort()).toEqual(["manifestDigest", "prevRoot", "root", "size"]);
      }
      const raw = (log.data + log.topics.join("")).toLowerCase();
      for (const f of forbidden) expect(raw.includes(hexOf(f))).toBe(false);
      for (const d of digests) expect(raw.includes(d)).toBe(false);
    }
    for (let n = 0; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        const data = tx.data.toLowerCase();
        for (const f of forbidden) expect(data.includes(hexOf(f)), `calldata of ${tx.hash}`).toBe(false);
        for (const d of digests) expect(data.includes(d), `calldata of ${tx.hash}`).toBe(false);
      }
    }
    provider.destroy();
  });
});
