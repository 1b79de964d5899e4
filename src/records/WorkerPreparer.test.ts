import { createSecretKey, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HeliaBlobStore } from "../adapters/blob/HeliaBlobStore.ts";
import { canonicalJson } from "../crypto/canonicalJson.ts";
import { openEnvelope } from "../crypto/envelope.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { extractSearchValues } from "../fhir/search/extractSearchValues.ts";
import { unpackRows } from "../fhir/search/packedRows.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import { inlinePreparer } from "./prepareRecords.ts";
import type { PrepareItem } from "./prepareRecords.ts";
import { WorkerPreparer } from "./WorkerPreparer.ts";

const raw = new Uint8Array(randomBytes(32));
const key: DataKey = { keyId: "k".repeat(22), key: raw, handle: createSecretKey(raw) };

function observations(n: number): { items: PrepareItem[]; resources: Record<string, unknown>[] } {
  const resources = Array.from({ length: n }, (_, i) => ({
    resourceType: "Observation",
    id: `o${i}`,
    meta: { versionId: "1", lastUpdated: "2026-01-01T00:00:00.000Z" },
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
    subject: { reference: "Patient/p1" },
    effectiveDateTime: "2026-01-01",
    valueQuantity: { value: 60 + i, unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
  }));
  return {
    resources,
    items: resources.map((r) => ({
      text: canonicalJson(r),
      type: "Observation",
      id: r.id,
      versionId: "1",
      keyId: key.keyId,
    })),
  };
}

describe("WorkerPreparer", () => {
  const preparer = new WorkerPreparer();
  afterAll(() => preparer.close());

  it("seals on its worker exactly as inline: same hashes, envelopes that open under the key and AAD, and the search rows", async () => {
    const { items, resources } = observations(40);
    const [viaWorker, inline] = await Promise.all([
      preparer.prepare(items, [key], { extract: true }),
      inlinePreparer.prepare(items, [key], { extract: true }),
    ]);
    expect(viaWorker).toHaveLength(40);
    for (let i = 0; i < 40; i++) {
      const plaintext = new TextEncoder().encode(items[i]!.text);
      expect(viaWorker[i]!.contentHash).toBe(toHex(sha256(plaintext)));
      expect(viaWorker[i]!.contentHash).toBe(inline[i]!.contentHash);
      const opened = await openEnvelope({
        envelope: viaWorker[i]!.envelope!,
        keyFor: async () => key,
        aad: { type: "Observation", id: `o${i}`, versionId: "1" },
      });
      expect(new TextDecoder().decode(opened)).toBe(items[i]!.text);
      expect(unpackRows(viaWorker[i]!.rows!)).toEqual(extractSearchValues(resources[i] as { resourceType: string }));
    }
    // One PackedRows for the batch, its numbers transferred from the worker (a Float64Array here).
    expect(new Set(viaWorker.map((r) => r.rows!.packed)).size).toBe(1);
    expect(viaWorker[0]!.rows!.packed.numbers).toBeInstanceOf(Float64Array);
    expect(inline[0]!.rows).toBeUndefined(); // inline leaves extraction to the index
    expect(raw.some((b) => b !== 0)).toBe(true); // the caller's key bytes are not wiped, only the worker's copy
  });

  it("fails a batch whose key is missing with an internal error, and keeps working afterwards", async () => {
    const { items } = observations(20);
    await expect(
      preparer.prepare(
        items.map((it) => ({ ...it, keyId: "x".repeat(22) })),
        [key],
        { extract: true },
      ),
    ).rejects.toMatchObject({ code: "internal" });
    expect(await preparer.prepare(items, [key], { extract: false })).toHaveLength(20);
  });

  it("prepares small batches inline and anything after close inline too", async () => {
    const { items } = observations(3);
    expect((await preparer.prepare(items, [key], { extract: true }))[0]!.rows).toBeUndefined();
    const closed = new WorkerPreparer();
    await closed.close();
    expect(await closed.prepare(observations(30).items, [key], { extract: true })).toHaveLength(30);
  });

  it("sends single records that arrive in one turn to the worker together, each caller getting its own", async () => {
    const { items, resources } = observations(12);
    // twelve callers, one record each, in the same turn: one worker batch (the worker extracts rows)
    const results = await Promise.all(items.map((item) => preparer.prepare([item], [key], { extract: true })));
    for (let i = 0; i < 12; i++) {
      expect(results[i]).toHaveLength(1);
      const [one] = results[i]!;
      expect(one!.contentHash).toBe(toHex(sha256(new TextEncoder().encode(items[i]!.text))));
      const opened = await openEnvelope({
        envelope: one!.envelope!,
        keyFor: async () => key,
        aad: { type: "Observation", id: `o${i}`, versionId: "1" },
      });
      expect(new TextDecoder().decode(opened)).toBe(items[i]!.text);
      expect(unpackRows(one!.rows!)).toEqual(extractSearchValues(resources[i] as { resourceType: string }));
    }
    // nothing to seal (a transaction of deletes) settles at once, even alone in its turn
    const settled = await Promise.race([
      preparer.prepare([], [key], { extract: true }),
      new Promise((resolve) => setTimeout(() => resolve("pending"), 1000)),
    ]);
    expect(settled).toEqual([]);
    // a few in one turn are not worth the round trip: inline (no rows: the index extracts them)
    const few = await Promise.all(items.slice(0, 3).map((item) => preparer.prepare([item], [key], { extract: true })));
    expect(few.every(([one]) => one!.rows === undefined)).toBe(true);
  });

  it("with local blocks, stores each envelope where HeliaBlobStore reads it and answers with its CID", async () => {
    const repoDir = await mkdtemp(join(tmpdir(), "fhirledger-preparer-"));
    const blobs = await HeliaBlobStore.open({ repoDir });
    const storing = new WorkerPreparer({ directBlockWrites: blobs.directBlockWrites() });
    try {
      const { items } = observations(20);
      const results = await storing.prepare(items, [key], { extract: false });
      for (let i = 0; i < results.length; i++) {
        expect(results[i]!.envelope).toBeUndefined();
        const envelope = await blobs.get(results[i]!.cid!); // re-hashed against the CID on read
        expect(await blobs.has(results[i]!.cid!)).toBe(true);
        const opened = await openEnvelope({
          envelope,
          keyFor: async () => key,
          aad: { type: "Observation", id: `o${i}`, versionId: "1" },
        });
        expect(new TextDecoder().decode(opened)).toBe(items[i]!.text);
      }
    } finally {
      await storing.close();
      await blobs.close();
      await rm(repoDir, { recursive: true, force: true });
    }
  });
});
