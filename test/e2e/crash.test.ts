import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Interface, JsonRpcProvider } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { loadContractArtifact } from "../../src/adapters/ledger/artifacts.ts";
import { placeRoot } from "../../src/verify/anchorChain.ts";
import { assertChainPrivacy } from "../support/chainPrivacy.ts";
import { eventually, param, removeDir } from "../support/testServer.ts";

const TOKEN = "crash-test-token-0123456789";

interface Started {
  child: ChildProcess;
  baseUrl: string;
  rpcUrl: string;
  output: () => string;
}

/** `npm start`'s entry point as a real child process, so it can be SIGKILLed. */
async function startServerProcess(dataDir: string): Promise<Started> {
  const child = spawn(join(process.cwd(), "node_modules/.bin/node"), ["src/main.ts"], {
    env: {
      ...process.env,
      FHIRLEDGER_DATA_DIR: dataDir,
      FHIRLEDGER_PORT: "0",
      FHIRLEDGER_CHAIN_PORT: "0",
      FHIRLEDGER_ANCHOR_INTERVAL_MS: "100",
      FHIRLEDGER_DEV_TOKEN: TOKEN,
      // The chain's log is read before the last shutdown, which with audit on still materialises
      // and anchors the last AuditEvents; the audit's own SIGKILL test is auditSigkill.test.ts.
      FHIRLEDGER_AUDIT: "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/Base URL:\s+(\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    baseUrl: /Base URL:\s+(\S+)/.exec(out)![1]!,
    rpcUrl: /embedded chain \(anvil\) at (\S+),/.exec(out)![1]!,
    output: () => out,
  };
}

/** Sustained concurrent creates until stopped; returns the ids the server acknowledged. */
function sustainedWrites(baseUrl: string, clients: number): { acked: string[]; stop: () => Promise<void> } {
  const acked: string[] = [];
  let running = true;
  let n = 0;
  const workers = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await fetch(`${baseUrl}/Observation`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "content-type": "application/fhir+json",
            prefer: "return=minimal",
          },
          body: JSON.stringify({
            resourceType: "Observation",
            status: "final",
            code: { text: `crash ${n++}` },
            valueInteger: n,
          }),
        });
        const id = /\/Observation\/([^/]+)\//.exec(res.headers.get("location") ?? "")?.[1];
        if (res.status === 201 && id) acked.push(id);
      } catch {
        // the server died mid-request: that write was never acknowledged
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  });
  return {
    acked,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

describe("SIGKILL during sustained writes (under group commit)", () => {
  let dataDir: string;
  let current: Started | null = null;
  afterAll(async () => {
    current?.child.kill("SIGKILL");
    if (dataDir) await removeDir(dataDir);
  });

  it("after restart every acknowledged write reads back, verifies, and is anchored exactly once", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "fhirledger-crash-"));
    const acked: string[] = [];
    for (const round of ["server only", "server and chain"]) {
      current = await startServerProcess(dataDir);
      const load = sustainedWrites(current.baseUrl, 8);
      await eventually(async () => (load.acked.length >= 150 ? true : undefined), 30_000, 20);
      // under group commit: concurrent creates shared index transactions before the kill
      const metrics = await (
        await fetch(`${current.baseUrl}/metrics`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).text();
      const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(metrics)?.[1]);
      expect(counter("fhirledger_index_commits_total")).toBeGreaterThan(
        counter("fhirledger_index_commit_transactions_total"),
      );
      current.child.kill("SIGKILL");
      if (round === "server and chain") {
        const anvilPid = Number(await readFile(join(dataDir, "chain", "anvil.pid"), "utf8"));
        process.kill(anvilPid, "SIGKILL");
      }
      await load.stop();
      acked.push(...load.acked);
    }
    expect(acked.length).toBeGreaterThanOrEqual(300);

    current = await startServerProcess(dataDir);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const roots = new Set<string>();
    for (const id of acked) {
      const read = await fetch(`${current.baseUrl}/Observation/${id}`, { headers });
      expect(read.status, `read Observation/${id}`).toBe(200);
      const verified = await eventually(async () => {
        const body = await (await fetch(`${current!.baseUrl}/Observation/${id}/$verify`, { headers })).json();
        return param(body, "verdict") === "verified" ? body : undefined;
      }, 20_000);
      roots.add(String(param(verified, "root")));
    }

    // Exactly once: on the chain no root appears twice, and the anchored batches cover every
    // leaf of the index once (the sum of their sizes is the number of leaves).
    const provider = new JsonRpcProvider(current.rpcUrl);
    const contract = JSON.parse(await readFile(join(dataDir, "deployments.json"), "utf8")).embedded
      .recordAnchor as string;
    const iface = new Interface(loadContractArtifact("RecordAnchor").abi as never);
    const logs = await provider.getLogs({ address: contract, fromBlock: 0, toBlock: "latest" });
    const anchored = logs.map((l) => iface.parseLog(l)).filter((p) => p?.name === "RootAnchored");
    const chainRoots = anchored.map((p) => String(p!.args.getValue("root")).slice(2));
    expect(new Set(chainRoots).size).toBe(chainRoots.length);
    for (const root of roots) expect(chainRoots).toContain(root);
    // And they form one prevRoot-linked log, as fhirledger verify requires: the restart after the
    // chain lost its last second did not hang a batch off a root that was no longer there.
    const anchorLog = logs
      .filter((l) => iface.parseLog(l)?.name === "RootAnchored")
      .map((l) => {
        const parsed = iface.parseLog(l)!;
        return {
          root: String(parsed.args.getValue("root")).slice(2),
          prevRoot: String(parsed.args.getValue("prevRoot")).slice(2),
          blockNumber: l.blockNumber,
          logIndex: l.index,
        };
      });
    for (const root of roots) expect(placeRoot(anchorLog, root), root).toMatchObject({ linked: true });
    provider.destroy();

    // Nothing identifying reached the chain (read the CIDs while the server still runs: WAL readers are fine).
    const live = new DatabaseSync(join(dataDir, "index.sqlite"), { readOnly: true });
    const cids = (live.prepare("SELECT cid FROM versions WHERE cid IS NOT NULL").all() as { cid: string }[]).map(
      (r) => r.cid,
    );
    live.close();
    expect(cids.length).toBeGreaterThanOrEqual(acked.length);
    await assertChainPrivacy(current.rpcUrl, { strings: acked.flatMap((id) => [id, `Observation/${id}`]), cids });

    current.child.kill("SIGTERM");
    await new Promise((r) => current!.child.once("exit", r));
    current = null;
    const db = new DatabaseSync(join(dataDir, "index.sqlite"), { readOnly: true });
    const leaves = Number((db.prepare("SELECT COUNT(*) AS n FROM leaves").get() as { n: number }).n);
    const unbatched = Number(
      (db.prepare("SELECT COUNT(*) AS n FROM leaves WHERE batch_id IS NULL").get() as { n: number }).n,
    );
    const indexRoots = (
      db.prepare("SELECT lower(hex(root)) AS r FROM batches WHERE state = 'anchored'").all() as { r: string }[]
    ).map((r) => r.r);
    db.close();
    expect(unbatched).toBe(0);
    expect([...indexRoots].sort()).toEqual([...chainRoots].filter((r) => indexRoots.includes(r)).sort());
    const sizeOnChain = anchored
      .filter((p) => indexRoots.includes(String(p!.args.getValue("root")).slice(2)))
      .reduce((sum, p) => sum + Number(p!.args.getValue("size")), 0);
    expect(sizeOnChain).toBe(leaves);
  }, 240_000);
});
