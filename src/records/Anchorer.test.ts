import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../adapters/blob/MemoryBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { MemoryLedger } from "../adapters/ledger/MemoryLedger.ts";
import { verifyInclusion } from "../merkle/verifyInclusion.ts";
import { placeRoot } from "../verify/anchorChain.ts";
import { Anchorer } from "./Anchorer.ts";
import { RecordRepository } from "./RecordRepository.ts";

describe("Anchorer", () => {
  let dir: string;
  let index: SqliteIndex;
  let keys: FileKeyStore;
  let blobs: MemoryBlobStore;
  let ledger: MemoryLedger;
  let records: RecordRepository;
  const anchorers: Anchorer[] = [];
  const newAnchorer = (maxBatch = 64) => {
    const a = new Anchorer({ index, blobs, keys, ledger, intervalMs: 20, maxBatch, maxBackoffMs: 80 });
    anchorers.push(a);
    return a;
  };
  const writeN = async (n: number) => {
    for (let i = 0; i < n; i++)
      await records.write("Basic", `b${i}-${Math.random().toString(36).slice(2, 8)}`, {
        resourceType: "Basic",
        code: { text: `n${i}` },
      });
  };
  const allLeavesAnchoredOnce = async () => {
    const leaves = index.db.prepare("SELECT seq, batch_id, leaf_index FROM leaves").all() as {
      seq: number;
      batch_id: number | null;
    }[];
    expect(leaves.every((l) => l.batch_id !== null)).toBe(true);
    for (const leaf of leaves) {
      const proof = (await index.leafProof(Number(leaf.seq)))!;
      expect(proof.batch?.state).toBe("anchored");
      expect(
        verifyInclusion({
          leafHash: proof.leafHash,
          index: proof.leafIndex!,
          treeSize: proof.batch!.size,
          proof: proof.path!,
          root: proof.batch!.root,
        }),
      ).toBe(true);
    }
    const roots = (await index.batches()).map((b) => Buffer.from(b.root).toString("hex"));
    expect(new Set(ledger.anchoredLog).size).toBe(ledger.anchoredLog.length);
    expect([...roots].sort()).toEqual([...ledger.anchoredLog].sort());
    return leaves.length;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "anchorer-"));
    index = new SqliteIndex({ path: ":memory:" });
    keys = await FileKeyStore.open({ dir });
    blobs = new MemoryBlobStore();
    ledger = new MemoryLedger();
    records = new RecordRepository({ index, blobs, keys, compartmentOf: () => null });
  });
  afterEach(async () => {
    for (const a of anchorers.splice(0)) await a.stop();
    index.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("batches pending leaves, chains roots through prevRoot, and stores verifiable paths", async () => {
    await writeN(150);
    const anchorer = newAnchorer(64);
    expect(await anchorer.flush()).toBe(150);
    expect((await index.batches()).map((b) => b.size)).toEqual([64, 64, 22]);
    const batches = await index.batches();
    expect(Buffer.from(batches[0]!.prevRoot).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(batches[1]!.prevRoot)).toEqual(Buffer.from(batches[0]!.root));
    expect(Buffer.from(batches[2]!.prevRoot)).toEqual(Buffer.from(batches[1]!.root));
    expect(await allLeavesAnchoredOnce()).toBe(150);
  });

  it("keeps accepting writes while the chain is down, shows the lag, retries with backoff, then catches up", async () => {
    ledger.down = true;
    const anchorer = newAnchorer();
    await anchorer.start();
    await writeN(10);
    await new Promise((r) => setTimeout(r, 300));
    const lagging = await anchorer.status();
    expect(lagging.pendingLeaves).toBe(10);
    expect(lagging.consecutiveFailures).toBeGreaterThanOrEqual(2);
    expect(lagging.lastError).toMatch(/down/);
    expect(lagging.oldestPendingAgeMs).toBeGreaterThan(200);
    // the failed attempts left their batches "sending"; nothing reached the chain
    expect(ledger.anchoredLog).toEqual([]);
    ledger.down = false;
    const deadline = Date.now() + 5000;
    while ((await anchorer.status()).pendingLeaves > 0 || (await index.batches("sending")).length > 0) {
      if (Date.now() > deadline) throw new Error("did not catch up");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await anchorer.status()).consecutiveFailures).toBe(0);
    expect(await allLeavesAnchoredOnce()).toBe(10);
  });

  it("after a crash with a batch mid-flight, completes it from the chain without anchoring twice", async () => {
    await writeN(5);
    ledger.loseReceipts = true;
    await expect(newAnchorer().flush()).rejects.toThrow(/receipt/);
    expect(await index.batches("sending")).toHaveLength(1);
    ledger.loseReceipts = false;
    const restarted = newAnchorer();
    expect(await restarted.reconcile()).toEqual({ completed: 1, resent: 0, requeuedLeaves: 0 });
    expect(ledger.anchoredLog).toHaveLength(1);
    expect(await allLeavesAnchoredOnce()).toBe(5);
  });

  it("after a crash before the transaction went out, sends the recorded batch again", async () => {
    await writeN(5);
    ledger.down = true;
    await expect(newAnchorer().flush()).rejects.toThrow();
    ledger.down = false;
    expect(await newAnchorer().reconcile()).toEqual({ completed: 0, resent: 1, requeuedLeaves: 0 });
    expect(await allLeavesAnchoredOnce()).toBe(5);
  });

  it("after a crash that cost the chain its newest anchors, keeps the chain one prevRoot-linked log", async () => {
    await writeN(6);
    await newAnchorer(2).flush();
    await writeN(2);
    ledger.down = true;
    await expect(newAnchorer(2).flush()).rejects.toThrow(/down/);
    expect(await index.batches("sending")).toHaveLength(1);
    // The chain was killed too, before it saved the third batch; the fourth never went out.
    ledger.forgetLatest(1);
    ledger.down = false;
    const restarted = newAnchorer(2);
    // The batch in flight named the lost root as its previous one: it is built again, not resent.
    expect(await restarted.reconcile()).toEqual({ completed: 0, resent: 0, requeuedLeaves: 4 });
    await restarted.flush();
    expect(await allLeavesAnchoredOnce()).toBe(8);
    const events = (await ledger.listAnchors()).map((a, logIndex) => ({
      root: Buffer.from(a.root).toString("hex"),
      prevRoot: Buffer.from(a.prevRoot).toString("hex"),
      blockNumber: a.blockNumber,
      logIndex,
    }));
    expect(events).toHaveLength(4);
    for (const event of events) expect(placeRoot(events, event.root)).toMatchObject({ linked: true, length: 4 });
  });

  it("re-anchors leaves whose roots the chain lost", async () => {
    await writeN(7);
    await newAnchorer().flush();
    ledger.wipe();
    const again = newAnchorer();
    expect(await again.reconcile()).toEqual({ completed: 0, resent: 0, requeuedLeaves: 7 });
    await again.flush();
    expect(await allLeavesAnchoredOnce()).toBe(7);
  });
});
