/**
 * Worker thread entry of WorkerPreparer: receives batches of canonical JSON with their data
 * keys, answers with envelopes and packed search rows (their numbers transferred, not copied)
 * and hashes.
 */
import { createSecretKey } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { SqliteBlocks } from "../adapters/blob/SqliteBlocks.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import { prepareRecords } from "./prepareRecords.ts";
import type { PrepareItem } from "./prepareRecords.ts";

export interface PrepareRequest {
  seq: number;
  items: PrepareItem[];
  keys: { keyId: string; key: Uint8Array }[];
  extract: boolean;
}

export type PrepareResponse =
  | { seq: number; results: ReturnType<typeof prepareRecords> }
  | { seq: number; error: string };

/** Set when the blob store is local (SqliteBlocks): the worker then stores what it seals. */
const blocksPath = (workerData as { blocksPath?: string } | undefined)?.blocksPath;
const blocks = blocksPath ? new SqliteBlocks(blocksPath) : undefined;

parentPort?.on("message", (request: PrepareRequest | "close") => {
  if (request === "close") {
    blocks?.close();
    parentPort!.close();
    return;
  }
  const keys: DataKey[] = request.keys.map((k) => ({ keyId: k.keyId, key: k.key, handle: createSecretKey(k.key) }));
  try {
    const results = prepareRecords(request.items, keys, { extract: request.extract });
    if (blocks) {
      // Sealed first, stored after in one short transaction: a writer on another thread
      // waits for the inserts only, not for the encryption and extraction.
      const cids = blocks.putAll(results.map((r) => r.envelope!));
      results.forEach((r, i) => {
        r.cid = cids[i]!;
        delete r.envelope;
      });
    }
    const transfer = results.flatMap((r) => (r.envelope ? [r.envelope.buffer as ArrayBuffer] : []));
    const packed = results[0]?.rows?.packed;
    if (packed) transfer.push(packed.numbers.buffer as ArrayBuffer);
    parentPort!.postMessage({ seq: request.seq, results } satisfies PrepareResponse, transfer);
  } catch (error) {
    parentPort!.postMessage({
      seq: request.seq,
      error: error instanceof Error ? error.message : String(error),
    } satisfies PrepareResponse);
  } finally {
    for (const k of keys) k.key.fill(0);
  }
});
