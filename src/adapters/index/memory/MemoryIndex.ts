import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import type {
  AnchoringOutbox,
  AnchorReceipt,
  BatchRow,
  BatchState,
  LeafProof,
  NewBatch,
  OutboxStats,
  PendingLeaf,
} from "../../../ports/AnchoringOutbox.ts";
import type {
  TransactionReceipt,
  TransactionReceiptKey,
  TransactionReceipts,
} from "../../../ports/TransactionReceipts.ts";
import type {
  CurrentRow,
  ErasedCompartment,
  VersionRow,
  VersionStore,
  VersionWrite,
} from "../../../ports/VersionStore.ts";

interface Resource {
  rid: number;
  type: string;
  id: string;
  /** Every version, oldest first (index versionId - 1). */
  versions: VersionRow[];
  /** Every patient compartment a version named. */
  compartments: ReadonlySet<string>;
}

interface Leaf {
  seq: number;
  leafHash: Uint8Array;
  queuedAt: string;
  /** The version this leaf logs; null once erased. */
  version: VersionRow | null;
  batchId: number | null;
  leafIndex: number | null;
  path: Uint8Array[] | null;
}

interface State {
  resources: Map<string, Resource>;
  leaves: Leaf[];
  batches: Map<number, BatchRow>;
  receipts: Map<string, TransactionReceipt>;
  nextRid: number;
  nextBatchId: number;
}

/**
 * The versions, transaction receipts and anchoring outbox in memory: the write side of the
 * index for unit tests of the layers above it (RecordRepository, Anchorer) and the second
 * adapter the port contract suites run against. Search, history and rebuild are the SQLite
 * adapter's only (see docs/ARCHITECTURE.md, "Where to add an index backend"). A commit works on
 * a copy of the state and swaps it in at the end, so a failed commit leaves nothing behind, as
 * a rolled-back SQLite transaction does.
 */
export class MemoryIndex implements VersionStore, TransactionReceipts, AnchoringOutbox {
  #state: State = {
    resources: new Map(),
    leaves: [],
    batches: new Map(),
    receipts: new Map(),
    nextRid: 1,
    nextBatchId: 1,
  };

  async current(type: string, id: string): Promise<CurrentRow | null> {
    const r = this.#state.resources.get(key(type, id));
    if (!r) return null;
    const v = r.versions.at(-1)!;
    return {
      rid: r.rid,
      type,
      id,
      versionId: v.versionId,
      deleted: v.deleted,
      lastUpdated: v.lastUpdated,
      compartment: v.compartment,
    };
  }

  async version(type: string, id: string, versionId: number): Promise<VersionRow | null> {
    const v = this.#state.resources.get(key(type, id))?.versions[versionId - 1];
    return v ? this.#withLeafHash(v) : null;
  }

  async currentVersion(type: string, id: string): Promise<VersionRow | null> {
    const v = this.#state.resources.get(key(type, id))?.versions.at(-1);
    return v ? this.#withLeafHash(v) : null;
  }

  async commit(write: VersionWrite): Promise<VersionRow> {
    return (await this.commitMany([write]))[0]!;
  }

  async commitMany(writes: VersionWrite[], receipt?: TransactionReceiptKey): Promise<VersionRow[]> {
    const next = copyState(this.#state);
    if (receipt) {
      if (next.receipts.has(receipt.key))
        throw new FhirLedgerError("conflict", "this transaction (its Bundle.identifier) was committed before");
      next.receipts.set(receipt.key, { ...receipt, committedAt: new Date().toISOString(), response: null });
    }
    const rows = writes.map((w) => commitOne(next, w));
    this.#state = next;
    return rows;
  }

  async transactionReceipt(key: string): Promise<TransactionReceipt | null> {
    return this.#state.receipts.get(key) ?? null;
  }

  async keepTransactionResponse(key: string, response: Uint8Array): Promise<void> {
    const r = this.#state.receipts.get(key);
    if (r) r.response = response;
  }

  async eraseCompartment(
    compartment: string,
    also: readonly { type: string; id: string }[] = [],
    namedBy: readonly string[] = [],
  ): Promise<ErasedCompartment> {
    const erased: ErasedCompartment = { resources: [], versions: 0, cids: [] };
    const listed = new Set(also.map((r) => key(r.type, r.id)));
    const names = [compartment, ...namedBy];
    for (const [k, r] of this.#state.resources) {
      if (
        !listed.has(k) &&
        !names.some((n) => r.compartments.has(n)) &&
        !r.versions.some((v) => v.compartment === compartment)
      )
        continue;
      erased.resources.push({ type: r.type, id: r.id });
      erased.versions += r.versions.length;
      for (const v of r.versions) {
        if (v.cid) erased.cids.push(v.cid);
        const leaf = this.#state.leaves[v.leafSeq - 1];
        if (leaf) leaf.version = null;
      }
      this.#state.resources.delete(k);
    }
    return erased;
  }

  async pendingLeaves(limit: number): Promise<PendingLeaf[]> {
    const out: PendingLeaf[] = [];
    for (const leaf of this.#state.leaves) {
      if (out.length >= limit) break;
      if (leaf.batchId === null) out.push(toPending(leaf));
    }
    return out;
  }

  async openBatch(batch: NewBatch): Promise<BatchRow> {
    const run = this.#state.leaves.filter(
      (l) => l.batchId === null && l.seq >= batch.firstSeq && l.seq <= batch.lastSeq,
    );
    if (run.length !== batch.size)
      throw new FhirLedgerError("conflict", "batch leaves changed while it was being built");
    const row: BatchRow = {
      ...batch,
      batchId: this.#state.nextBatchId++,
      state: "sending",
      chainId: null,
      contract: null,
      txHash: null,
      blockNumber: null,
      anchoredAt: null,
    };
    this.#state.batches.set(row.batchId, row);
    run.forEach((leaf, i) => {
      leaf.batchId = row.batchId;
      leaf.leafIndex = i;
    });
    return { ...row };
  }

  async completeBatch(batchId: number, receipt: AnchorReceipt, paths: Uint8Array[][]): Promise<void> {
    const batch = this.#state.batches.get(batchId);
    if (!batch) return;
    Object.assign(batch, { ...receipt, state: "anchored", anchoredAt: new Date().toISOString() });
    this.#leavesOf(batchId).forEach((leaf, i) => {
      if (paths[i]) leaf.path = paths[i];
    });
  }

  async batches(state?: BatchState): Promise<BatchRow[]> {
    return [...this.#state.batches.values()]
      .filter((b) => state === undefined || b.state === state)
      .map((b) => ({ ...b }));
  }

  async lastAnchoredRoot(): Promise<Uint8Array | null> {
    let last: BatchRow | null = null;
    for (const b of this.#state.batches.values()) if (!last || b.batchId > last.batchId) last = b;
    return last?.root ?? null;
  }

  async requeueBatch(batchId: number): Promise<number> {
    const leaves = this.#leavesOf(batchId);
    for (const leaf of leaves) Object.assign(leaf, { batchId: null, leafIndex: null, path: null });
    this.#state.batches.delete(batchId);
    return leaves.length;
  }

  async leafProof(seq: number): Promise<LeafProof | null> {
    const leaf = this.#state.leaves[seq - 1];
    if (!leaf) return null;
    const batch = leaf.batchId === null ? null : { ...this.#state.batches.get(leaf.batchId)! };
    return {
      seq,
      leafHash: leaf.leafHash,
      batch,
      leafIndex: leaf.leafIndex,
      path: batch?.state === "anchored" ? leaf.path : null,
      queuedAt: leaf.queuedAt,
    };
  }

  async leavesOfBatch(batchId: number): Promise<PendingLeaf[]> {
    return this.#leavesOf(batchId).map(toPending);
  }

  async stats(): Promise<OutboxStats> {
    let pendingLeaves = 0;
    let oldestPendingAt: string | null = null;
    for (const leaf of this.#state.leaves) {
      const batch = leaf.batchId === null ? null : this.#state.batches.get(leaf.batchId);
      if (batch?.state === "anchored") continue;
      pendingLeaves += 1;
      if (oldestPendingAt === null || leaf.queuedAt < oldestPendingAt) oldestPendingAt = leaf.queuedAt;
    }
    let versions = 0;
    for (const r of this.#state.resources.values()) versions += r.versions.length;
    return { pendingLeaves, oldestPendingAt, batches: this.#state.batches.size, versions };
  }

  close(): void {}

  #leavesOf(batchId: number): Leaf[] {
    return this.#state.leaves
      .filter((l) => l.batchId === batchId)
      .sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0));
  }

  #withLeafHash(v: VersionRow): VersionRow {
    return { ...v, leafHash: this.#state.leaves[v.leafSeq - 1]!.leafHash };
  }
}

const key = (type: string, id: string) => `${type}/${id}`;

function toPending(leaf: Leaf): PendingLeaf {
  return {
    seq: leaf.seq,
    leafHash: leaf.leafHash,
    version: leaf.version ? { ...leaf.version, leafHash: leaf.leafHash } : null,
  };
}

/** A copy deep enough that a commit can change it and be thrown away (leaves and rows are replaced, not edited). */
function copyState(s: State): State {
  return {
    resources: new Map(
      [...s.resources].map(([k, r]) => [k, { ...r, versions: [...r.versions], compartments: new Set(r.compartments) }]),
    ),
    leaves: [...s.leaves],
    batches: s.batches,
    receipts: new Map(s.receipts),
    nextRid: s.nextRid,
    nextBatchId: s.nextBatchId,
  };
}

function commitOne(s: State, write: VersionWrite): VersionRow {
  const k = key(write.type, write.id);
  const existing = s.resources.get(k);
  const curVersion = existing?.versions.length ?? 0;
  if (curVersion !== write.expectedPreviousVersion || write.versionId !== curVersion + 1) {
    throw new FhirLedgerError("conflict", `version conflict on ${write.type}/${write.id}: current is ${curVersion}`);
  }
  const resource = existing ?? {
    rid: s.nextRid++,
    type: write.type,
    id: write.id,
    versions: [],
    compartments: new Set(),
  };
  resource.compartments = new Set([...resource.compartments, ...(write.compartments ?? [])]);
  s.resources.set(k, resource);
  const seq = s.leaves.length + 1;
  const { leafHash, expectedPreviousVersion: _e, resource: _r, searchRows: _s, compartments: _c, ...fields } = write;
  const row: VersionRow = { ...fields, leafSeq: seq };
  resource.versions.push(row);
  s.leaves.push({
    seq,
    leafHash,
    queuedAt: new Date().toISOString(),
    version: row,
    batchId: null,
    leafIndex: null,
    path: null,
  });
  return { ...row };
}
