import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rawCid } from "../../src/adapters/blob/rawCid.ts";
import { SqliteBlocks } from "../../src/adapters/blob/SqliteBlocks.ts";
import { FhirLedgerError } from "../../src/errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../src/errors/FhirLedgerError.ts";
import type { BlobStore } from "../../src/ports/BlobStore.ts";

/** What an adapter's test file hands the contract suite: one fresh, empty store per test. */
export interface BlobStoreHarness {
  store: BlobStore;
  /** Alters the stored bytes of a block behind the store's back (disk, map, ...). */
  tamper?: (cid: string) => Promise<void>;
  /** Closes `store` and opens a new store on the same storage; later calls and cleanup use the new one. */
  reopen?: () => Promise<BlobStore>;
  cleanup: () => Promise<void>;
}

/**
 * Which optional cases apply. They are known when the suite is declared (vitest collects tests
 * before any factory runs), so cases an adapter cannot support are not registered at all rather
 * than passing vacuously; each adapter's test file says which ones it leaves out.
 */
export interface BlobStoreContractOptions {
  tamper?: boolean;
  reopen?: boolean;
  abort?: boolean;
  /** the store offers direct block writes (BlobStore.directBlockWrites); the others must say they do not */
  directBlockWrites?: boolean;
}

const MiB = 1024 * 1024;

/** The behaviour every BlobStore adapter must share (src/ports/BlobStore.ts). */
export function blobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreHarness>,
  options: BlobStoreContractOptions = {},
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let h: BlobStoreHarness;
    let store: BlobStore;

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it.each([
      ["0 bytes", 0],
      ["1 byte", 1],
      ["every byte value", 256],
      ["1 MiB", MiB],
    ])("returns the same bytes it stored (%s)", async (_label, size) => {
      const bytes = size === 256 ? Uint8Array.from({ length: 256 }, (_, i) => i) : new Uint8Array(randomBytes(size));
      const cid = await store.put(bytes);
      const back = await store.get(cid);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(back.byteLength).toBe(size);
      expectBytes(back, bytes);
    });

    it("gives the same bytes the same CID, and different bytes different CIDs", async () => {
      const a = await store.put(new TextEncoder().encode("same"));
      const b = await store.put(new TextEncoder().encode("same"));
      const c = await store.put(new TextEncoder().encode("other"));
      expect(a).toBe(b);
      expect(c).not.toBe(a);
      expectBytes(await store.get(a), new TextEncoder().encode("same"));
    });

    it("returns the CIDv1 raw sha2-256 base32 CID that rawCid computes", async () => {
      const bytes = new Uint8Array(randomBytes(1000));
      const cid = await store.put(bytes);
      expect(cid).toBe(rawCid(bytes).toString());
      expect(cid).toMatch(/^bafkrei[a-z2-7]{52}$/);
    });

    it("does not let a caller's later change to the input alter the stored blob", async () => {
      const bytes = new TextEncoder().encode("immutable");
      const cid = await store.put(bytes);
      bytes[0] = 0x58;
      expect(new TextDecoder().decode(await store.get(cid))).toBe("immutable");
    });

    it("reports has() false before put and true after", async () => {
      const bytes = new Uint8Array(randomBytes(64));
      const cid = rawCid(bytes).toString();
      expect(await store.has(cid)).toBe(false);
      await store.put(bytes);
      expect(await store.has(cid)).toBe(true);
    });

    it("get of a never-stored CID fails with not-found", async () => {
      const cid = rawCid(new Uint8Array(randomBytes(32))).toString();
      await expectCode(store.get(cid), "not-found");
    });

    it("delete removes the blob: has() is false and get fails with not-found", async () => {
      const bytes = new Uint8Array(randomBytes(128));
      const cid = await store.put(bytes);
      await store.delete(cid);
      expect(await store.has(cid)).toBe(false);
      await expectCode(store.get(cid), "not-found");
    });

    it("delete of an absent blob (never stored, or deleted twice) is not an error", async () => {
      await expect(store.delete(rawCid(new Uint8Array(randomBytes(32))).toString())).resolves.toBeUndefined();
      const cid = await store.put(new Uint8Array(randomBytes(16)));
      await store.delete(cid);
      await expect(store.delete(cid)).resolves.toBeUndefined();
    });

    it("a deleted blob can be stored again", async () => {
      const bytes = new Uint8Array(randomBytes(48));
      const cid = await store.put(bytes);
      await store.delete(cid);
      expect(await store.put(bytes)).toBe(cid);
      expectBytes(await store.get(cid), bytes);
    });

    it.each(["", "not-a-cid", "bafkrei!!!!", "Qm"])("get of the malformed CID %j fails with invalid", async (bad) => {
      await expectCode(store.get(bad), "invalid");
    });

    it("stores 100 blobs put concurrently, each under its own CID", async () => {
      const blobs = Array.from({ length: 100 }, (_, i) => new Uint8Array(randomBytes(512 + i)));
      const cids = await Promise.all(blobs.map((b) => store.put(b)));
      expect(new Set(cids).size).toBe(100);
      cids.forEach((cid, i) => expect(cid).toBe(rawCid(blobs[i]!).toString()));
      const back = await Promise.all(cids.map((cid) => store.get(cid)));
      back.forEach((b, i) => expectBytes(b, blobs[i]!));
    });

    it("the same bytes put 20 times concurrently yield one CID and one readable blob", async () => {
      const bytes = new Uint8Array(randomBytes(2048));
      const cids = await Promise.all(Array.from({ length: 20 }, () => store.put(bytes)));
      expect(new Set(cids).size).toBe(1);
      expectBytes(await store.get(cids[0]!), bytes);
    });

    if (options.tamper) {
      it("a block altered in storage fails with integrity instead of being served", async () => {
        const bytes = new TextEncoder().encode(`{"resourceType":"Patient","id":"${randomBytes(4).toString("hex")}"}`);
        const cid = await store.put(bytes);
        await h.tamper!(cid);
        await expectCode(store.get(cid), "integrity");
      });
    }

    it("getSync, where an adapter offers it, answers exactly like get", async () => {
      if (!store.getSync) return expect(store.getSync).toBeUndefined();
      const bytes = new Uint8Array(randomBytes(1500));
      const cid = await store.put(bytes);
      expectBytes(store.getSync(cid), bytes);
      await store.delete(cid);
      expect(() => store.getSync!(cid)).toThrow(expect.objectContaining({ code: "not-found" }));
      if (h.tamper) {
        const victim = await store.put(new TextEncoder().encode("tamper me for getSync"));
        await h.tamper(victim);
        expect(() => store.getSync!(victim)).toThrow(expect.objectContaining({ code: "integrity" }));
      }
    });

    if (options.reopen) {
      it("keeps blobs across close and reopen", async () => {
        const bytes = new Uint8Array(randomBytes(4096));
        const cid = await store.put(bytes);
        const deleted = await store.put(new TextEncoder().encode("deleted before close"));
        await store.delete(deleted);
        store = await h.reopen!();
        expect(await store.has(cid)).toBe(true);
        expectBytes(await store.get(cid), bytes);
        expect(await store.has(deleted)).toBe(false);
      });
    }

    if (options.abort) {
      it("rejects put and get with the caller's AbortError when the signal is already aborted", async () => {
        const cid = await store.put(new TextEncoder().encode("abortable"));
        const signal = AbortSignal.abort();
        await expect(store.put(new TextEncoder().encode("never stored"), { signal })).rejects.toMatchObject({
          name: "AbortError",
        });
        await expect(store.get(cid, { signal })).rejects.toMatchObject({ name: "AbortError" });
        expect(await store.has(rawCid(new TextEncoder().encode("never stored")).toString())).toBe(false);
      });
    }

    if (options.directBlockWrites) {
      it("reads back, under the CID put would give, a block another connection wrote into its direct-write file", async () => {
        const direct = store.directBlockWrites?.();
        expect(direct?.blocksPath).toEqual(expect.any(String));
        const writer = new SqliteBlocks(direct!.blocksPath);
        const bytes = new Uint8Array(randomBytes(1000));
        let cid: string;
        try {
          cid = writer.put(bytes);
        } finally {
          writer.close();
        }
        expect(cid).toBe(rawCid(bytes).toString());
        expect(await store.has(cid)).toBe(true);
        expectBytes(await store.get(cid), bytes);
        expect(await store.put(bytes)).toBe(cid);
      });
    } else {
      it("offers no direct block writes: every put goes through the store", () => {
        expect(store.directBlockWrites?.()).toBeUndefined();
      });
    }
  });
}

/** Byte equality that ignores the Uint8Array subclass (Helia hands back Buffers). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ),
  ).toBe(true);
}

/** Asserts a FhirLedgerError with the given stable code (message text is not part of the contract). */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<FhirLedgerError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a FhirLedgerError "${code}", but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirLedgerError);
  expect((error as FhirLedgerError).code).toBe(code);
  return error as FhirLedgerError;
}
