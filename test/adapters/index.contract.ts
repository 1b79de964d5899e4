import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../src/errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../src/errors/FhirLedgerError.ts";
import type { AnchoringOutbox } from "../../src/ports/AnchoringOutbox.ts";
import type { TransactionReceipts } from "../../src/ports/TransactionReceipts.ts";
import type { VersionStore, VersionWrite } from "../../src/ports/VersionStore.ts";

/** The index parts every adapter implements: versions, transaction receipts, the anchoring outbox. */
export type IndexCore = VersionStore & TransactionReceipts & AnchoringOutbox;

/** What an adapter's test file hands the contract suite: one fresh, empty index per call. */
export interface IndexHarness {
  index: IndexCore;
  cleanup: () => Promise<void>;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => new Error(`expected a FhirLedgerError "${code}", but the call succeeded`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirLedgerError);
  expect((error as FhirLedgerError).code).toBe(code);
}

const leaf = (n: number) => new Uint8Array(32).fill(n);
const hex = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString("hex") : null);

/** Version `versionId` of type/id, replacing versionId - 1. */
function write(
  type: string,
  id: string,
  versionId: number,
  extra: Partial<VersionWrite> & { leafByte?: number } = {},
): VersionWrite {
  const { leafByte, ...rest } = extra;
  const deleted = rest.deleted ?? false;
  return {
    type,
    id,
    versionId,
    expectedPreviousVersion: versionId - 1,
    lastUpdated: `2026-01-01T00:00:${String(versionId).padStart(2, "0")}.000Z`,
    deleted,
    cid: deleted ? null : `cid-${type}-${id}-${versionId}`,
    contentHash: `hash-${id}-${versionId}`,
    keyId: "k1",
    compartment: null,
    leafHash: leaf(leafByte ?? versionId),
    ...(deleted ? {} : { resource: { resourceType: type, id } }),
    ...rest,
  };
}

const newBatch = (firstSeq: number, lastSeq: number, rootByte: number, prevRoot = new Uint8Array(32)) => ({
  root: leaf(rootByte),
  prevRoot,
  size: lastSeq - firstSeq + 1,
  firstSeq,
  lastSeq,
  manifestCid: `manifest-${rootByte}`,
  manifestDigest: leaf(rootByte + 1),
});

const receipt = { chainId: "31337", contract: "0xabc", txHash: "0xdef", blockNumber: 7 };

/**
 * The behaviour every index adapter must share for the ports RecordRepository, the transaction
 * runner and the Anchorer rely on (src/ports/VersionStore.ts, TransactionReceipts.ts,
 * AnchoringOutbox.ts): optimistic versions, atomic multi-version commits with their receipt,
 * erasure that keeps the log, and the outbox's batch life cycle.
 */
export function indexContract(name: string, factory: () => Promise<IndexHarness>): void {
  const withIndex = (body: (index: IndexCore) => Promise<void>) => async () => {
    const h = await factory();
    try {
      await body(h.index);
    } finally {
      await h.cleanup();
    }
  };

  describe(`VersionStore contract: ${name}`, () => {
    it(
      "knows nothing it was not given",
      withIndex(async (index) => {
        expect(await index.current("Patient", "p")).toBeNull();
        expect(await index.currentVersion("Patient", "p")).toBeNull();
        expect(await index.version("Patient", "p", 1)).toBeNull();
      }),
    );

    it(
      "commits versions in order and answers current, version and currentVersion with the leaf hash",
      withIndex(async (index) => {
        const v1 = await index.commit(write("Patient", "p", 1, { compartment: "Patient/p" }));
        expect(v1).toMatchObject({ type: "Patient", id: "p", versionId: 1, deleted: false, cid: "cid-Patient-p-1" });
        expect(v1.leafSeq).toBeGreaterThan(0);
        await index.commit(write("Patient", "p", 2, { compartment: "Patient/p", createdByUpdate: false }));
        expect(await index.current("Patient", "p")).toMatchObject({
          type: "Patient",
          id: "p",
          versionId: 2,
          deleted: false,
          compartment: "Patient/p",
          lastUpdated: "2026-01-01T00:00:02.000Z",
        });
        const current = (await index.currentVersion("Patient", "p"))!;
        expect(current).toMatchObject({ versionId: 2, cid: "cid-Patient-p-2", contentHash: "hash-p-2", keyId: "k1" });
        expect(hex(current.leafHash)).toBe(hex(leaf(2)));
        const first = (await index.version("Patient", "p", 1))!;
        expect(first).toMatchObject({ versionId: 1, cid: "cid-Patient-p-1", leafSeq: v1.leafSeq });
        expect(await index.version("Patient", "p", 3)).toBeNull();
      }),
    );

    it(
      "keeps a client-chosen create (createdByUpdate) and a delete marker",
      withIndex(async (index) => {
        await index.commit(write("Patient", "q", 1, { createdByUpdate: true }));
        expect((await index.version("Patient", "q", 1))?.createdByUpdate).toBe(true);
        await index.commit(write("Patient", "q", 2, { deleted: true }));
        expect(await index.current("Patient", "q")).toMatchObject({ versionId: 2, deleted: true });
        expect(await index.currentVersion("Patient", "q")).toMatchObject({ versionId: 2, deleted: true, cid: null });
      }),
    );

    it(
      "refuses a version that does not follow the current one, and writes nothing",
      withIndex(async (index) => {
        await index.commit(write("Patient", "p", 1));
        await expectCode(index.commit(write("Patient", "p", 1)), "conflict"); // a second create
        await expectCode(index.commit({ ...write("Patient", "p", 3), expectedPreviousVersion: 2 }), "conflict");
        await expectCode(index.commit({ ...write("Patient", "p", 3), expectedPreviousVersion: 1 }), "conflict");
        expect((await index.current("Patient", "p"))?.versionId).toBe(1);
        expect((await index.stats()).versions).toBe(1);
        expect(await index.pendingLeaves(10)).toHaveLength(1);
      }),
    );

    it(
      "commits several versions all or none",
      withIndex(async (index) => {
        const rows = await index.commitMany([
          write("Patient", "a", 1),
          write("Patient", "b", 1),
          write("Patient", "a", 2),
        ]);
        expect(rows.map((r) => `${r.id}/${r.versionId}`)).toEqual(["a/1", "b/1", "a/2"]);
        expect(new Set(rows.map((r) => r.leafSeq)).size).toBe(3);
        await expectCode(index.commitMany([write("Patient", "c", 1), write("Patient", "b", 1)]), "conflict");
        expect(await index.current("Patient", "c")).toBeNull();
        expect((await index.current("Patient", "b"))?.versionId).toBe(1);
        expect((await index.stats()).versions).toBe(3);
        expect((await index.pendingLeaves(10)).map((l) => l.seq)).toEqual(rows.map((r) => r.leafSeq));
      }),
    );

    it(
      "erases every resource with a version in the compartment, keeps their log leaves, and returns their blobs",
      withIndex(async (index) => {
        await index.commit(write("Patient", "p", 1, { compartment: "Patient/p" }));
        await index.commit(write("Observation", "o", 1, { compartment: "Patient/p" }));
        // moved out of the compartment later: still erased (a version was in it)
        await index.commit(write("Observation", "o", 2, { compartment: "Patient/other" }));
        await index.commit(write("Observation", "keep", 1, { compartment: "Patient/other" }));
        const erased = await index.eraseCompartment("Patient/p");
        expect(erased.resources.map((r) => `${r.type}/${r.id}`).sort()).toEqual(["Observation/o", "Patient/p"]);
        expect(erased.versions).toBe(3);
        expect([...erased.cids].sort()).toEqual(["cid-Observation-o-1", "cid-Observation-o-2", "cid-Patient-p-1"]);
        expect(await index.current("Patient", "p")).toBeNull();
        expect(await index.version("Observation", "o", 1)).toBeNull();
        expect((await index.current("Observation", "keep"))?.versionId).toBe(1);
        const leaves = await index.pendingLeaves(10);
        expect(leaves).toHaveLength(4);
        expect(leaves.filter((l) => l.version === null)).toHaveLength(3);
        expect(await index.eraseCompartment("Patient/p")).toEqual({ resources: [], versions: 0, cids: [] });
      }),
    );

    it(
      "erases a resource any of whose versions named the compartment, even when its current one does not",
      withIndex(async (index) => {
        await index.commit(
          write("Observation", "o", 1, { compartment: "Patient/q", compartments: ["Patient/q", "Patient/p"] }),
        );
        await index.commit(write("Observation", "o", 2, { compartment: "Patient/q", compartments: ["Patient/q"] }));
        await index.commit(write("Observation", "other", 1, { compartment: "Patient/q", compartments: ["Patient/q"] }));
        const erased = await index.eraseCompartment("Patient/p");
        expect(erased.resources.map((r) => `${r.type}/${r.id}`)).toEqual(["Observation/o"]);
        expect(erased.versions).toBe(2);
        expect(await index.current("Observation", "o")).toBeNull();
        expect((await index.current("Observation", "other"))?.versionId).toBe(1);
        // gone from the compartments too: a new resource under the same id is not erased with p again
        await index.commit(write("Observation", "o", 1, { compartment: "Patient/q", compartments: ["Patient/q"] }));
        expect((await index.eraseCompartment("Patient/p")).resources).toEqual([]);
      }),
    );

    it(
      "erases a resource a version of which named the patient by one of the names it is given, once",
      withIndex(async (index) => {
        const byMrn = "Patient?identifier=urn%3Amrn|M-1";
        await index.commit(write("Observation", "o", 1, { compartments: [byMrn] }));
        await index.commit(write("Observation", "o", 2, { compartment: "Patient/q", compartments: ["Patient/q"] }));
        await index.commit(
          write("Observation", "both", 1, { compartment: "Patient/p", compartments: ["Patient/p", byMrn] }),
        );
        await index.commit(write("Observation", "other", 1, { compartments: ["Patient?identifier=urn%3Amrn|M-2"] }));
        const erased = await index.eraseCompartment("Patient/p", [{ type: "Observation", id: "o" }], [byMrn]);
        expect(erased.resources.map((r) => `${r.type}/${r.id}`).sort()).toEqual(["Observation/both", "Observation/o"]);
        expect(erased.versions).toBe(3);
        expect((await index.current("Observation", "other"))?.versionId).toBe(1);
      }),
    );

    it(
      "erases the resources it is given besides the compartment's, once each, and ignores unknown ones",
      withIndex(async (index) => {
        await index.commit(write("Patient", "p", 1, { compartment: "Patient/p" }));
        await index.commit(write("Observation", "named", 1, { compartment: "Patient/q" }));
        await index.commit(write("Observation", "named", 2, { compartment: "Patient/q" }));
        await index.commit(write("Observation", "other", 1, { compartment: "Patient/q" }));
        const erased = await index.eraseCompartment("Patient/p", [
          { type: "Observation", id: "named" },
          { type: "Patient", id: "p" },
          { type: "Observation", id: "unknown" },
        ]);
        expect(erased.resources.map((r) => `${r.type}/${r.id}`).sort()).toEqual(["Observation/named", "Patient/p"]);
        expect(erased.versions).toBe(3);
        expect(await index.current("Observation", "named")).toBeNull();
        expect((await index.current("Observation", "other"))?.versionId).toBe(1);
      }),
    );
  });

  describe(`TransactionReceipts contract: ${name}`, () => {
    it(
      "commits a receipt with the writes; a repeated key is a conflict that writes nothing",
      withIndex(async (index) => {
        expect(await index.transactionReceipt("k1")).toBeNull();
        await index.commitMany([write("Basic", "a", 1)], { key: "k1", requestHash: "h1" });
        expect(await index.transactionReceipt("k1")).toMatchObject({ key: "k1", requestHash: "h1", response: null });
        expect(Date.parse((await index.transactionReceipt("k1"))!.committedAt)).not.toBeNaN();
        await index.keepTransactionResponse("k1", new Uint8Array([1, 2, 3]));
        expect((await index.transactionReceipt("k1"))?.response).toEqual(new Uint8Array([1, 2, 3]));
        await expectCode(index.commitMany([write("Basic", "b", 1)], { key: "k1", requestHash: "h1" }), "conflict");
        expect(await index.current("Basic", "b")).toBeNull();
      }),
    );

    it(
      "leaves no receipt when the transaction's writes fail",
      withIndex(async (index) => {
        await expectCode(
          index.commitMany([write("Basic", "c", 1), write("Basic", "d", 5)], { key: "k2", requestHash: "h2" }),
          "conflict",
        );
        expect(await index.transactionReceipt("k2")).toBeNull();
        expect(await index.current("Basic", "c")).toBeNull();
      }),
    );
  });

  describe(`AnchoringOutbox contract: ${name}`, () => {
    const fill = async (index: IndexCore, n: number) => {
      const rows = [];
      for (let i = 1; i <= n; i++) rows.push(await index.commit(write("Basic", `b${i}`, 1, { leafByte: i })));
      return rows.map((r) => r.leafSeq);
    };

    it(
      "queues one leaf per version, oldest first, with the version it logs",
      withIndex(async (index) => {
        const seqs = await fill(index, 3);
        const pending = await index.pendingLeaves(2);
        expect(pending.map((l) => l.seq)).toEqual(seqs.slice(0, 2));
        expect(hex(pending[0]!.leafHash)).toBe(hex(leaf(1)));
        expect(pending[0]!.version).toMatchObject({ type: "Basic", id: "b1", versionId: 1 });
        const stats = await index.stats();
        expect(stats).toMatchObject({ pendingLeaves: 3, batches: 0, versions: 3 });
        expect(Date.parse(stats.oldestPendingAt!)).not.toBeNaN();
        expect(await index.lastAnchoredRoot()).toBeNull();
      }),
    );

    it(
      "opens a batch over the pending run, completes it with inclusion paths, and chains the next one",
      withIndex(async (index) => {
        const seqs = await fill(index, 3);
        const batch = await index.openBatch(newBatch(seqs[0]!, seqs[1]!, 100));
        expect(batch).toMatchObject({ state: "sending", size: 2, chainId: null, txHash: null, anchoredAt: null });
        expect((await index.pendingLeaves(10)).map((l) => l.seq)).toEqual([seqs[2]]);
        // a sending batch's leaves are not anchored yet
        expect((await index.stats()).pendingLeaves).toBe(3);
        expect(hex(await index.lastAnchoredRoot())).toBe(hex(leaf(100)));
        expect((await index.leavesOfBatch(batch.batchId)).map((l) => l.seq)).toEqual(seqs.slice(0, 2));
        const sendingProof = (await index.leafProof(seqs[0]!))!;
        expect(sendingProof.batch?.state).toBe("sending");
        expect(sendingProof.path).toBeNull();

        await index.completeBatch(batch.batchId, receipt, [[leaf(2)], [leaf(1)]]);
        const [anchored] = await index.batches("anchored");
        expect(anchored).toMatchObject({ batchId: batch.batchId, state: "anchored", ...receipt });
        expect(Date.parse(anchored!.anchoredAt!)).not.toBeNaN();
        expect(await index.batches("sending")).toEqual([]);
        const proof = (await index.leafProof(seqs[1]!))!;
        expect(proof).toMatchObject({ seq: seqs[1], leafIndex: 1 });
        expect(proof.path!.map(hex)).toEqual([hex(leaf(1))]);
        expect(hex(proof.leafHash)).toBe(hex(leaf(2)));
        expect((await index.stats()).pendingLeaves).toBe(1);

        const next = await index.openBatch(newBatch(seqs[2]!, seqs[2]!, 110, leaf(100)));
        expect(hex(next.prevRoot)).toBe(hex(leaf(100)));
        expect((await index.batches()).map((b) => b.batchId)).toEqual([batch.batchId, next.batchId]);
        expect(hex(await index.lastAnchoredRoot())).toBe(hex(leaf(110)));
      }),
    );

    it(
      "refuses a batch whose leaves are no longer all pending",
      withIndex(async (index) => {
        const seqs = await fill(index, 2);
        await index.openBatch(newBatch(seqs[0]!, seqs[0]!, 100));
        await expectCode(index.openBatch(newBatch(seqs[0]!, seqs[1]!, 101)), "conflict");
        expect((await index.pendingLeaves(10)).map((l) => l.seq)).toEqual([seqs[1]]);
      }),
    );

    it(
      "puts a batch's leaves back in the queue when its root is not on chain",
      withIndex(async (index) => {
        const seqs = await fill(index, 2);
        const batch = await index.openBatch(newBatch(seqs[0]!, seqs[1]!, 100));
        await index.completeBatch(batch.batchId, receipt, [[leaf(2)], [leaf(1)]]);
        expect(await index.requeueBatch(batch.batchId)).toBe(2);
        expect(await index.batches()).toEqual([]);
        expect((await index.pendingLeaves(10)).map((l) => l.seq)).toEqual(seqs);
        const proof = (await index.leafProof(seqs[0]!))!;
        expect(proof).toMatchObject({ batch: null, leafIndex: null, path: null });
        expect(await index.leafProof(9999)).toBeNull();
      }),
    );
  });
}
