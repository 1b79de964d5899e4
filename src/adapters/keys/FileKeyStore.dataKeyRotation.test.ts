import { describe, expect, it } from "vitest";
import { openStore, rows, useTempKeyDir } from "./testSupport/keyStoreHarness.ts";

useTempKeyDir();

describe("rotateDataKeys (rotate-data-keys)", () => {
  it("starts a new key for every compartment with a live one; old keys still read, erased ones stay erased", async () => {
    const store = await openStore();
    const a1 = await store.currentDataKey("Patient/a");
    const a2 = await store.rotateDataKey("Patient/a");
    const shared = await store.currentDataKey("_shared");
    await store.currentDataKey("Patient/gone");
    await store.destroyCompartment("Patient/gone");

    expect(await store.rotateDataKeys()).toEqual({ rotated: 2, missing: [] });
    const a3 = await store.currentDataKey("Patient/a");
    const shared2 = await store.currentDataKey("_shared");
    for (const [before, after] of [
      [a2, a3],
      [shared, shared2],
    ] as const) {
      expect(after.keyId).not.toBe(before.keyId);
      expect(Buffer.from(after.key).equals(Buffer.from(before.key))).toBe(false);
    }
    for (const old of [a1, a2, shared]) expect(await store.dataKey(old.keyId)).toEqual(old);
    // the erased compartment got no key (its next write makes one, as after any erasure)
    const gone = rows().filter((r) => r.wrapped === null);
    expect(gone).toHaveLength(1);
    expect(rows().filter((r) => r.compartment_hash === gone[0]!.compartment_hash)).toHaveLength(1);
    expect(rows().map((r) => r.version)).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it("a store that already runs on the directory writes under the new keys at once", async () => {
    const writer = await openStore();
    const before = await writer.currentDataKey("Patient/a");
    const rotator = await openStore();
    await rotator.rotateDataKeys();
    const after = await writer.currentDataKey("Patient/a");
    expect(after.keyId).not.toBe(before.keyId);
    expect(await rotator.currentDataKey("Patient/a")).toEqual(after);
  });

  it("rotates only the compartments named, and nothing at all when one of them has no live key", async () => {
    const store = await openStore();
    const a = await store.currentDataKey("Patient/a");
    const b = await store.currentDataKey("Patient/b");
    const count = rows().length;
    expect(await store.rotateDataKeys(["Patient/a", "Patient/never"])).toEqual({
      rotated: 0,
      missing: ["Patient/never"],
    });
    expect(rows()).toHaveLength(count);
    expect(await store.rotateDataKeys(["Patient/a"])).toEqual({ rotated: 1, missing: [] });
    expect((await store.currentDataKey("Patient/a")).keyId).not.toBe(a.keyId);
    expect(await store.currentDataKey("Patient/b")).toEqual(b);
  });

  it("refuses a named compartment longer than 1024 characters (or empty) before rotating anything", async () => {
    const store = await openStore();
    await store.currentDataKey("Patient/a");
    const count = rows().length;
    for (const bad of ["x".repeat(1025), ""]) {
      const error = await store.rotateDataKeys(["Patient/a", bad]).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe("invalid");
      expect(String((error as Error).message)).toContain("at most 1024 characters");
    }
    expect(rows()).toHaveLength(count);
    expect(await store.rotateDataKeys(["Patient/a", `Patient/${"x".repeat(1016)}`])).toEqual({
      rotated: 0,
      missing: [`Patient/${"x".repeat(1016)}`],
    });
  });
});
