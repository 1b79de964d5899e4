import { randomBytes } from "node:crypto";
import { chmod, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openEnvelope, sealEnvelope } from "../../crypto/envelope.ts";
import type { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { DATA_VERSION_RECHECK_MS, FileKeyStore } from "./FileKeyStore.ts";
import {
  dir,
  execRaw,
  failure,
  hexId,
  openStore,
  rawFiles,
  rows,
  useTempKeyDir,
} from "./testSupport/keyStoreHarness.ts";

useTempKeyDir();

describe("FileKeyStore.open", () => {
  it("creates dir 0700 and a random 32-byte kek.key 0600 when none is configured", async () => {
    const store = await openStore();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const kekStat = await stat(join(dir, "kek.key"));
    expect(kekStat.mode & 0o777).toBe(0o600);
    expect(kekStat.size).toBe(32);
    expect((await stat(join(dir, "datakeys.sqlite"))).mode & 0o077).toBe(0);
    const kek = new Uint8Array(await readFile(join(dir, "kek.key")));
    expect(store.kekId).toBe(hexId(kek));
    expect(store.kekId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("reuses the KEK file on reopen", async () => {
    const first = await openStore();
    const key = await first.currentDataKey("Patient/1");
    await first.close();
    const second = await openStore();
    expect(second.kekId).toBe(first.kekId);
    expect(await second.dataKey(key.keyId)).toEqual(key);
  });

  it("uses a configured KEK without ever writing it", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek });
    expect(store.kekId).toBe(hexId(kek));
    await store.currentDataKey("Patient/1");
    expect(await readdir(dir)).not.toContain("kek.key");
    const files = await rawFiles();
    expect(files.includes(Buffer.from(kek))).toBe(false);
  });

  it("refuses a configured KEK of the wrong size", async () => {
    expect((await failure(FileKeyStore.open({ dir, kek: new Uint8Array(16) }))).code).toBe("internal");
  });

  it("refuses a KEK that did not wrap the database, naming only KEK ids", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek });
    await store.currentDataKey("Patient/1");
    await store.close();
    const wrong = new Uint8Array(randomBytes(32));
    const error = await failure(FileKeyStore.open({ dir, kek: wrong }));
    expect(error.code).toBe("internal");
    expect(error.message).toContain(hexId(wrong));
    expect(error.message).toContain(hexId(kek));
    for (const secret of [kek, wrong]) {
      expect(error.message).not.toContain(Buffer.from(secret).toString("hex"));
      expect(error.message).not.toContain(Buffer.from(secret).toString("base64"));
    }
  });

  it("refuses a kek.key that group or others can read", async () => {
    await (await openStore()).close();
    await chmod(join(dir, "kek.key"), 0o644);
    expect((await failure(FileKeyStore.open({ dir }))).message).toMatch(/chmod 600/);
  });

  it("refuses a kek.key of the wrong length", async () => {
    await (await openStore()).close();
    await writeFile(join(dir, "kek.key"), new Uint8Array(31), { mode: 0o600 });
    expect((await failure(FileKeyStore.open({ dir }))).message).toMatch(/exactly 32 bytes/);
  });

  it("never invents a new KEK for a database that already has keys", async () => {
    const store = await openStore();
    await store.currentDataKey("Patient/1");
    await store.close();
    await rm(join(dir, "kek.key"));
    expect((await failure(FileKeyStore.open({ dir }))).message).toMatch(/kek\.key is missing/);
    expect(await readdir(dir)).not.toContain("kek.key");
  });

  it("two concurrent first opens agree on one KEK", async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    expect(a.kekId).toBe(b.kekId);
    const key = await a.currentDataKey("Patient/1");
    expect(await b.dataKey(key.keyId)).toEqual(key);
  });
});

describe("data keys", () => {
  it("creates version 1 on first use and returns it until rotated", async () => {
    const store = await openStore();
    const key = await store.currentDataKey("Patient/1");
    expect(key.keyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(key.key.byteLength).toBe(32);
    expect(await store.currentDataKey("Patient/1")).toEqual(key);
    expect(await store.dataKey(key.keyId)).toEqual(key);
    const other = await store.currentDataKey("Patient/2");
    expect(other.keyId).not.toBe(key.keyId);
    expect(Buffer.from(other.key).equals(Buffer.from(key.key))).toBe(false);
    expect(rows().map((r) => r.version)).toEqual([1, 1]);
  });

  it("returns the same key to concurrent first calls", async () => {
    const store = await openStore();
    const keys = await Promise.all(Array.from({ length: 20 }, () => store.currentDataKey("Patient/c")));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(rows()).toHaveLength(1);
  });

  it("returns the same key to concurrent first calls from two stores on one directory", async () => {
    const a = await openStore();
    const b = await openStore();
    const keys = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).currentDataKey("Patient/c")),
    );
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(rows()).toHaveLength(1);
  });

  it("hands out copies: a caller zeroing its key does not corrupt the store", async () => {
    const store = await openStore();
    const key = await store.currentDataKey("Patient/1");
    const copy = new Uint8Array(key.key);
    key.key.fill(0);
    expect((await store.dataKey(key.keyId)).key).toEqual(copy);
  });

  it("rotation adds a version that later writes use; old versions stay readable", async () => {
    const store = await openStore();
    const v1 = await store.currentDataKey("Patient/1");
    const v2 = await store.rotateDataKey("Patient/1");
    expect(v2.keyId).not.toBe(v1.keyId);
    expect(await store.currentDataKey("Patient/1")).toEqual(v2);
    expect(await store.dataKey(v1.keyId)).toEqual(v1);
    const v3 = await store.rotateDataKey("Patient/1");
    expect(rows().map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await store.currentDataKey("Patient/1")).toEqual(v3);
    // Rotating a compartment never used before starts it at version 1.
    await store.rotateDataKey("Patient/new");
    expect(rows().filter((r) => r.version === 1)).toHaveLength(2);
  });

  it("rejects unknown and malformed key ids as integrity errors", async () => {
    const store = await openStore();
    for (const keyId of [randomBytes(16).toString("base64url"), "", "Patient/1", "x".repeat(200)]) {
      const error = await failure(store.dataKey(keyId));
      expect(error.code).toBe("integrity");
      expect(error.message).toBe("unknown data key");
    }
  });

  it("rejects an empty or oversized compartment", async () => {
    const store = await openStore();
    expect((await failure(store.currentDataKey(""))).code).toBe("invalid");
    expect((await failure(store.currentDataKey("x".repeat(1025)))).code).toBe("invalid");
  });

  it("does not write compartment names (patient ids) into the database", async () => {
    const store = await openStore();
    await store.currentDataKey("Patient/7f3c-secret-id");
    await store.close();
    const files = await rawFiles();
    expect(files.includes(Buffer.from("7f3c-secret-id"))).toBe(false);
    expect(files.includes(Buffer.from("Patient"))).toBe(false);
    expect(String(rows()[0]?.compartment_hash)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps working with a tiny cache (keys come back from the database)", async () => {
    const store = await openStore({ cacheSize: 2 });
    const keys = [];
    for (let i = 0; i < 6; i++) keys.push(await store.currentDataKey(`Patient/${i}`));
    for (const key of keys) expect(await store.dataKey(key.keyId)).toEqual(key);
    for (let i = 0; i < 6; i++) expect(await store.currentDataKey(`Patient/${i}`)).toEqual(keys[i]);
  });

  it("seals and opens envelopes end to end", async () => {
    const store = await openStore();
    const aad = { type: "Patient", id: "p1", versionId: "1" };
    const plaintext = new TextEncoder().encode('{"resourceType":"Patient"}');
    const envelope = sealEnvelope({ plaintext, key: await store.currentDataKey("Patient/p1"), aad });
    await store.rotateDataKey("Patient/p1");
    const keyFor = (keyId: string) => store.dataKey(keyId);
    expect(await openEnvelope({ envelope, keyFor, aad })).toEqual(plaintext);
    await store.destroyCompartment("Patient/p1");
    const error = await failure(openEnvelope({ envelope, keyFor, aad }));
    expect(error.code).toBe("integrity");
    expect((error.cause as FhirLedgerError).code).toBe("gone");
  });
});

describe("destroyCompartment (crypto-shredding)", () => {
  it("destroys every version, keeps tombstones, and later lookups are 'gone'", async () => {
    const store = await openStore();
    const v1 = await store.currentDataKey("Patient/1");
    const v2 = await store.rotateDataKey("Patient/1");
    const other = await store.currentDataKey("Patient/2");
    expect(await store.destroyCompartment("Patient/1")).toBe(2);
    for (const key of [v1, v2]) {
      const error = await failure(store.dataKey(key.keyId));
      expect(error.code).toBe("gone");
      expect(error.message).toBe("data key destroyed");
    }
    expect(await store.dataKey(other.keyId)).toEqual(other);
    const tombstones = rows().filter((r) => r.key_id === v1.keyId || r.key_id === v2.keyId);
    expect(tombstones).toHaveLength(2);
    for (const row of tombstones) {
      expect(row.wrapped).toBeNull();
      expect(typeof row.destroyed_at).toBe("string");
    }
    expect(await store.destroyCompartment("Patient/1")).toBe(0);
    expect(await store.destroyCompartment("Patient/never")).toBe(0);
  });

  it("a compartment used again after erasure gets a new key and version", async () => {
    const store = await openStore();
    const old = await store.currentDataKey("Patient/1");
    await store.destroyCompartment("Patient/1");
    const fresh = await store.currentDataKey("Patient/1");
    expect(fresh.keyId).not.toBe(old.keyId);
    expect(rows().map((r) => r.version)).toEqual([1, 2]);
    expect((await failure(store.dataKey(old.keyId))).code).toBe("gone");
  });

  it("leaves no wrapped key bytes in the database or its WAL", async () => {
    const store = await openStore();
    await store.currentDataKey("Patient/1");
    await store.rotateDataKey("Patient/1");
    const wrapped = rows().map((r) => Buffer.from(r.wrapped as Uint8Array));
    for (const w of wrapped) expect((await rawFiles()).includes(w)).toBe(true);
    await store.destroyCompartment("Patient/1");
    const files = await rawFiles();
    for (const w of wrapped) expect(files.includes(w)).toBe(false);
  });

  it("is seen by another store on the same directory despite its cache, within the re-check interval", async () => {
    const reader = await openStore();
    const eraser = await openStore();
    const key = await reader.currentDataKey("Patient/1");
    expect(await reader.dataKey(key.keyId)).toEqual(key); // now cached
    await eraser.destroyCompartment("Patient/1");
    await new Promise((resolve) => setTimeout(resolve, DATA_VERSION_RECHECK_MS + 5));
    expect((await failure(reader.dataKey(key.keyId))).code).toBe("gone");
  });
});

describe("tampering with the key database", () => {
  it("a modified wrapped key is an integrity error", async () => {
    const store = await openStore();
    const key = await store.currentDataKey("Patient/1");
    await store.close();
    const wrapped = new Uint8Array(rows()[0]?.wrapped as Uint8Array);
    wrapped[20] = (wrapped[20] ?? 0) ^ 1;
    execRaw("UPDATE data_keys SET wrapped = ? WHERE key_id = ?", wrapped, key.keyId);
    const reopened = await openStore();
    const error = await failure(reopened.dataKey(key.keyId));
    expect(error.code).toBe("integrity");
    expect(error.message).toBe("data key could not be unwrapped");
  });

  it("a key row moved to another compartment no longer unwraps", async () => {
    const store = await openStore();
    const victim = await store.currentDataKey("Patient/victim");
    await store.currentDataKey("Patient/other");
    await store.close();
    const [victimRow, otherRow] = rows();
    execRaw("DELETE FROM data_keys WHERE key_id = ?", String(otherRow?.key_id));
    execRaw(
      "UPDATE data_keys SET compartment_hash = ? WHERE key_id = ?",
      String(otherRow?.compartment_hash),
      victim.keyId,
    );
    expect(victimRow?.key_id).toBe(victim.keyId);
    const reopened = await openStore();
    expect((await failure(reopened.currentDataKey("Patient/other"))).code).toBe("integrity");
    expect((await failure(reopened.dataKey(victim.keyId))).code).toBe("integrity");
  });

  it("wrapped blobs swapped between key ids do not unwrap", async () => {
    const store = await openStore();
    const a = await store.currentDataKey("Patient/a");
    const b = await store.currentDataKey("Patient/b");
    await store.close();
    const [rowA, rowB] = rows();
    execRaw("UPDATE data_keys SET wrapped = ? WHERE key_id = ?", rowB?.wrapped as Uint8Array, a.keyId);
    execRaw("UPDATE data_keys SET wrapped = ? WHERE key_id = ?", rowA?.wrapped as Uint8Array, b.keyId);
    const reopened = await openStore();
    expect((await failure(reopened.dataKey(a.keyId))).code).toBe("integrity");
    expect((await failure(reopened.dataKey(b.keyId))).code).toBe("integrity");
  });
});

describe("close", () => {
  it("makes later calls fail as unavailable and is idempotent", async () => {
    const store = await openStore();
    await store.close();
    await store.close();
    expect((await failure(store.currentDataKey("Patient/1"))).code).toBe("unavailable");
    expect((await failure(store.dataKey("x"))).code).toBe("unavailable");
  });
});

describe("no key material in errors", () => {
  it("never puts KEK or data key bytes into an error message", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const store = await openStore({ kek });
    const key = await store.currentDataKey("Patient/1");
    const messages: string[] = [];
    const collect = async (p: Promise<unknown>) => messages.push((await failure(p)).message);
    await collect(store.dataKey(randomBytes(16).toString("base64url")));
    await store.destroyCompartment("Patient/1");
    await collect(store.dataKey(key.keyId));
    await collect(store.currentDataKey(""));
    await collect(store.rewrapAll(new Uint8Array(5)));
    await store.close();
    await collect(FileKeyStore.open({ dir, kek: new Uint8Array(randomBytes(32)) }));
    const secrets = [kek, key.key].flatMap((s) => [
      Buffer.from(s).toString("hex"),
      Buffer.from(s).toString("base64"),
      Buffer.from(s).toString("base64url"),
    ]);
    for (const message of messages) for (const secret of secrets) expect(message).not.toContain(secret);
  });
});
