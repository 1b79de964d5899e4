import { randomBytes } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATA_VERSION_RECHECK_MS, FileKeyStore } from "./FileKeyStore.ts";
import { dir, execRaw, failure, hexId, openStore, rows, useTempKeyDir } from "./testSupport/keyStoreHarness.ts";

useTempKeyDir();

describe("rewrapAll (KEK rotation)", () => {
  it("re-wraps every live key, replaces kek.key, and keeps data keys unchanged", async () => {
    const store = await openStore();
    const oldKek = new Uint8Array(await readFile(join(dir, "kek.key")));
    const a1 = await store.currentDataKey("Patient/a");
    const a2 = await store.rotateDataKey("Patient/a");
    const b = await store.currentDataKey("Patient/b");
    await store.currentDataKey("Patient/gone");
    await store.destroyCompartment("Patient/gone");
    const newKek = new Uint8Array(randomBytes(32));
    expect(await store.rewrapAll(newKek)).toEqual({ rewrapped: 3 });
    expect(store.kekId).toBe(hexId(newKek));
    expect(new Uint8Array(await readFile(join(dir, "kek.key")))).toEqual(newKek);
    expect((await stat(join(dir, "kek.key"))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).not.toContain("kek.key.next");
    expect(
      rows()
        .filter((r) => r.wrapped !== null)
        .every((r) => r.kek_id === hexId(newKek)),
    ).toBe(true);
    // Still works in this process (new keys are wrapped under the new KEK)...
    const c = await store.currentDataKey("Patient/c");
    await store.close();
    // ...and after a restart with only the new kek.key.
    const reopened = await openStore();
    expect(reopened.kekId).toBe(hexId(newKek));
    for (const key of [a1, a2, b, c]) expect(await reopened.dataKey(key.keyId)).toEqual(key);
    expect(await reopened.currentDataKey("Patient/b")).toEqual(b);
    expect(await reopened.currentDataKey("Patient/c")).toEqual(c);
    await reopened.close();
    const stale = await failure(FileKeyStore.open({ dir, kek: oldKek }));
    expect(stale.code).toBe("internal");
  });

  it("with a configured KEK, writes nothing and needs the new KEK on restart", async () => {
    const oldKek = new Uint8Array(randomBytes(32));
    const newKek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek: oldKek });
    const key = await store.currentDataKey("Patient/a");
    expect(await store.rewrapAll(newKek)).toEqual({ rewrapped: 1 });
    expect(await store.dataKey(key.keyId)).toEqual(key);
    await store.close();
    expect(await readdir(dir)).not.toContain("kek.key");
    expect((await failure(FileKeyStore.open({ dir, kek: oldKek }))).code).toBe("internal");
    const reopened = await openStore({ kek: newKek });
    expect(await reopened.dataKey(key.keyId)).toEqual(key);
  });

  it("is a no-op for the KEK already in use, and checks the new KEK's size", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek });
    await store.currentDataKey("Patient/a");
    expect(await store.rewrapAll(kek)).toEqual({ rewrapped: 0 });
    expect((await failure(store.rewrapAll(new Uint8Array(31)))).code).toBe("internal");
  });

  it("refuses a second rotation while one runs", async () => {
    const store = await openStore();
    await store.currentDataKey("Patient/a");
    const first = store.rewrapAll(new Uint8Array(randomBytes(32)));
    const second = await failure(store.rewrapAll(new Uint8Array(randomBytes(32))));
    expect(second.code).toBe("conflict");
    expect(await first).toEqual({ rewrapped: 1 });
  });

  it("after a crash between commit and rename, open() finishes the rotation", async () => {
    const store = await openStore();
    const oldKek = new Uint8Array(await readFile(join(dir, "kek.key")));
    const key = await store.currentDataKey("Patient/a");
    const newKek = new Uint8Array(randomBytes(32));
    await store.rewrapAll(newKek);
    await store.close();
    // Put the files back as they were just before the rename.
    await writeFile(join(dir, "kek.key"), oldKek, { mode: 0o600 });
    await writeFile(join(dir, "kek.key.next"), newKek, { mode: 0o600 });
    const reopened = await openStore();
    expect(reopened.kekId).toBe(hexId(newKek));
    expect(await reopened.dataKey(key.keyId)).toEqual(key);
    expect(new Uint8Array(await readFile(join(dir, "kek.key")))).toEqual(newKek);
    expect(await readdir(dir)).not.toContain("kek.key.next");
  });

  it("after a crash before the commit, open() discards the unused next KEK", async () => {
    const store = await openStore();
    const key = await store.currentDataKey("Patient/a");
    const kekId = store.kekId;
    await store.close();
    await writeFile(join(dir, "kek.key.next"), new Uint8Array(randomBytes(32)), { mode: 0o600 });
    const reopened = await openStore();
    expect(reopened.kekId).toBe(kekId);
    expect(await reopened.dataKey(key.keyId)).toEqual(key);
    expect(await readdir(dir)).not.toContain("kek.key.next");
  });

  it("a tampered row aborts the whole rotation and changes nothing", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek });
    const a = await store.currentDataKey("Patient/a");
    const b = await store.currentDataKey("Patient/b");
    await store.close();
    const wrapped = new Uint8Array(rows()[1]?.wrapped as Uint8Array);
    wrapped[13] = (wrapped[13] ?? 0) ^ 1;
    execRaw("UPDATE data_keys SET wrapped = ? WHERE key_id = ?", wrapped, b.keyId);
    const reopened = await openStore({ kek });
    expect((await failure(reopened.rewrapAll(new Uint8Array(randomBytes(32))))).code).toBe("integrity");
    expect(reopened.kekId).toBe(hexId(kek));
    expect(rows().every((r) => r.kek_id === hexId(kek))).toBe(true);
    expect(await reopened.dataKey(a.keyId)).toEqual(a);
  });

  it("a store whose KEK another process rotated away refuses to wrap new keys and writes nothing", async () => {
    const oldKek = new Uint8Array(randomBytes(32));
    const newKek = new Uint8Array(randomBytes(32));
    const stale = await openStore({ kek: oldKek });
    const old = await stale.currentDataKey("Patient/old");
    const rotator = await openStore({ kek: oldKek });
    expect(await rotator.rewrapAll(newKek)).toEqual({ rewrapped: 1 });
    const before = rows();
    for (const attempt of [stale.currentDataKey("Patient/new"), stale.rotateDataKey("Patient/old")]) {
      const error = await failure(attempt);
      expect(error.code).toBe("unavailable");
      expect(error.message).toContain(`wrapped under KEK ${hexId(newKek)}`);
      expect(error.message).toContain(`this process holds KEK ${hexId(oldKek)}`);
      for (const secret of [oldKek, newKek]) expect(error.message).not.toContain(Buffer.from(secret).toString("hex"));
    }
    expect(rows()).toEqual(before);
    // its cached keys are dropped once it sees the other commit; the newest one is now under the new KEK
    await new Promise((r) => setTimeout(r, DATA_VERSION_RECHECK_MS + 5));
    expect((await failure(stale.currentDataKey("Patient/old"))).code).toBe("unavailable");
    // the process with the new KEK reads what was there and writes on
    expect(await rotator.dataKey(old.keyId)).toEqual(old);
    await rotator.currentDataKey("Patient/new");
    expect(rows().every((r) => r.kek_id === hexId(newKek))).toBe(true);
  });
});
