import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../src/errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../src/errors/FhirLedgerError.ts";
import type { KeyStore } from "../../src/ports/KeyStore.ts";

/** What an adapter's test file hands the contract suite: one fresh, empty store per call. */
export interface KeyStoreHarness {
  store: KeyStore;
  cleanup: () => Promise<void>;
}

/** Asserts a rejection with a FhirLedgerError of the given stable code. */
async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => new Error(`expected a FhirLedgerError "${code}", but the call succeeded`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirLedgerError);
  expect((error as FhirLedgerError).code).toBe(code);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** The behaviour every KeyStore adapter must share (src/ports/KeyStore.ts), as RecordRepository and $erase rely on it. */
export function keyStoreContract(name: string, factory: () => Promise<KeyStoreHarness>): void {
  describe(`KeyStore contract: ${name}`, () => {
    const withStore = (body: (store: KeyStore) => Promise<void>) => async () => {
      const h = await factory();
      try {
        await body(h.store);
      } finally {
        await h.cleanup();
      }
    };

    it(
      "creates a compartment's key on first use and gives the same one until rotation",
      withStore(async (store) => {
        const first = await store.currentDataKey("Patient/1");
        expect(first.key).toBeInstanceOf(Uint8Array);
        expect(first.key.byteLength).toBe(32);
        const again = await store.currentDataKey("Patient/1");
        expect(again.keyId).toBe(first.keyId);
        expect(hex(again.key)).toBe(hex(first.key));
      }),
    );

    it(
      "finds a key again by its id, with the same bytes",
      withStore(async (store) => {
        const key = await store.currentDataKey("Patient/1");
        const byId = await store.dataKey(key.keyId);
        expect(byId.keyId).toBe(key.keyId);
        expect(hex(byId.key)).toBe(hex(key.key));
      }),
    );

    it(
      "gives each compartment its own key, with an id that does not reveal the compartment",
      withStore(async (store) => {
        const a = await store.currentDataKey("Patient/alice");
        const b = await store.currentDataKey("Patient/bob");
        const shared = await store.currentDataKey("_shared");
        expect(new Set([a.keyId, b.keyId, shared.keyId]).size).toBe(3);
        expect(new Set([hex(a.key), hex(b.key), hex(shared.key)]).size).toBe(3);
        expect(a.keyId).not.toMatch(/alice|Patient/);
      }),
    );

    it(
      "hands out copies: wiping a returned key leaves the stored one intact",
      withStore(async (store) => {
        const key = await store.currentDataKey("Patient/1");
        const bytes = hex(key.key);
        key.key.fill(0);
        expect(hex((await store.dataKey(key.keyId)).key)).toBe(bytes);
        expect(hex((await store.currentDataKey("Patient/1")).key)).toBe(bytes);
      }),
    );

    it(
      "refuses an unknown key id with 'integrity'",
      withStore(async (store) => {
        await store.currentDataKey("Patient/1");
        await expectCode(store.dataKey("AAAAAAAAAAAAAAAAAAAAAA"), "integrity");
        await expectCode(store.dataKey("not a key id"), "integrity");
      }),
    );

    it(
      "rotation: later writes get the new key, earlier keys still decrypt what they sealed",
      withStore(async (store) => {
        const before = await store.currentDataKey("Patient/1");
        const rotated = await store.rotateDataKey("Patient/1");
        expect(rotated.keyId).not.toBe(before.keyId);
        expect(hex(rotated.key)).not.toBe(hex(before.key));
        expect((await store.currentDataKey("Patient/1")).keyId).toBe(rotated.keyId);
        expect(hex((await store.dataKey(before.keyId)).key)).toBe(hex(before.key));
        const other = await store.currentDataKey("Patient/2");
        await store.rotateDataKey("Patient/1");
        expect((await store.currentDataKey("Patient/2")).keyId).toBe(other.keyId);
      }),
    );

    it(
      "rotating a compartment never used creates its first key",
      withStore(async (store) => {
        const first = await store.rotateDataKey("Patient/new");
        expect((await store.currentDataKey("Patient/new")).keyId).toBe(first.keyId);
      }),
    );

    it(
      "destroyCompartment shreds every version of that compartment only, and counts them",
      withStore(async (store) => {
        const v1 = await store.currentDataKey("Patient/1");
        const v2 = await store.rotateDataKey("Patient/1");
        const other = await store.currentDataKey("Patient/2");
        expect(await store.destroyCompartment("Patient/1")).toBe(2);
        await expectCode(store.dataKey(v1.keyId), "gone");
        await expectCode(store.dataKey(v2.keyId), "gone");
        expect(hex((await store.dataKey(other.keyId)).key)).toBe(hex(other.key));
        expect(await store.destroyCompartment("Patient/1")).toBe(0);
        expect(await store.destroyCompartment("Patient/never")).toBe(0);
      }),
    );

    it(
      "a compartment used again after destruction gets a new key; what was shredded stays shredded",
      withStore(async (store) => {
        const old = await store.currentDataKey("Patient/1");
        await store.destroyCompartment("Patient/1");
        const fresh = await store.currentDataKey("Patient/1");
        expect(fresh.keyId).not.toBe(old.keyId);
        expect(hex(fresh.key)).not.toBe(hex(old.key));
        await expectCode(store.dataKey(old.keyId), "gone");
      }),
    );

    it(
      "refuses an empty compartment name with 'invalid'",
      withStore(async (store) => {
        await expectCode(store.currentDataKey(""), "invalid");
        await expectCode(store.rotateDataKey(""), "invalid");
      }),
    );

    it("answers 'unavailable' once closed", async () => {
      const h = await factory();
      const key = await h.store.currentDataKey("Patient/1");
      await h.store.close();
      try {
        await expectCode(h.store.dataKey(key.keyId), "unavailable");
        await expectCode(h.store.currentDataKey("Patient/1"), "unavailable");
      } finally {
        await h.cleanup();
      }
    });
  });
}
