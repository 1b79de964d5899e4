import { createPublicKey, randomBytes, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SigningAlgorithm } from "../../ports/KeyStore.ts";
import { MemoryKeyStore } from "./MemoryKeyStore.ts";
import { KEPT_SIGNING_KEYS } from "./signingKeys.ts";
import { execRaw, failure, openStore, rawFiles, useTempKeyDir } from "./testSupport/keyStoreHarness.ts";

useTempKeyDir();

function signsLike(
  a: { privateKey: import("node:crypto").KeyObject },
  b: { privateKey: import("node:crypto").KeyObject },
) {
  const data = Buffer.from("token");
  return verify("sha256", data, createPublicKey(b.privateKey), sign("sha256", data, a.privateKey));
}

describe("FileKeyStore signing keys", () => {
  for (const alg of ["ES256", "RS256"] as SigningAlgorithm[]) {
    it(`creates one ${alg} key on first use and gives the same key after a restart`, async () => {
      const store = await openStore();
      const [first, ...rest] = await store.signingKeys(alg);
      expect(rest).toEqual([]);
      expect(first!.alg).toBe(alg);
      expect(first!.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(first!.privateKey.asymmetricKeyType).toBe(alg === "ES256" ? "ec" : "rsa");
      await store.close();
      const reopened = await openStore();
      const [again] = await reopened.signingKeys(alg);
      expect(again!.kid).toBe(first!.kid);
      expect(signsLike(first!, again!)).toBe(true);
    });
  }

  it("keeps the private key only wrapped: its bytes are nowhere in the key directory", async () => {
    const store = await openStore();
    const [key] = await store.signingKeys("ES256");
    await store.close();
    const der = key!.privateKey.export({ format: "der", type: "pkcs8" });
    const files = await rawFiles();
    expect(files.includes(der.subarray(der.length - 32))).toBe(false);
  });

  it("rotation signs with a new key, keeps the old one retired, and drops the oldest past the few kept", async () => {
    const store = await openStore();
    const [old] = await store.signingKeys("ES256");
    const fresh = await store.rotateSigningKey("ES256");
    const kept = await store.signingKeys("ES256");
    expect(kept.map((k) => k.kid)).toEqual([fresh.kid, old!.kid]);
    expect(kept[0]!.retiredAt).toBeNull();
    expect(kept[1]!.retiredAt).toBeInstanceOf(Date);
    for (let i = 0; i < KEPT_SIGNING_KEYS + 2; i++) await store.rotateSigningKey("ES256");
    const after = await store.signingKeys("ES256");
    expect(after).toHaveLength(KEPT_SIGNING_KEYS);
    expect(after.map((k) => k.kid)).not.toContain(old!.kid);
    // the RS256 keys are untouched by ES256 rotation
    expect(await store.signingKeys("RS256")).toHaveLength(1);
  });

  it("KEK rotation re-wraps signing keys too", async () => {
    const store = await openStore();
    const [key] = await store.signingKeys("RS256");
    const newKek = new Uint8Array(randomBytes(32));
    await store.rewrapAll(newKek);
    await store.close();
    const reopened = await openStore();
    const [again] = await reopened.signingKeys("RS256");
    expect(again!.kid).toBe(key!.kid);
    expect(signsLike(key!, again!)).toBe(true);
  });

  it("a signing key row moved under another kid no longer unwraps", async () => {
    const store = await openStore();
    const [key] = await store.signingKeys("ES256");
    await store.close();
    execRaw("UPDATE signing_keys SET kid = ? WHERE kid = ?", "A".repeat(22), key!.kid);
    const reopened = await openStore();
    expect((await failure(reopened.signingKeys("ES256"))).code).toBe("integrity");
  });

  it("refuses an algorithm it does not sign with", async () => {
    const store = await openStore();
    expect((await failure(store.signingKeys("HS256" as SigningAlgorithm))).code).toBe("invalid");
    expect((await failure(new MemoryKeyStore().rotateSigningKey("none" as SigningAlgorithm))).code).toBe("invalid");
  });

  it("MemoryKeyStore keeps the same order and retirement", async () => {
    const store = new MemoryKeyStore();
    const [old] = await store.signingKeys("ES256");
    const fresh = await store.rotateSigningKey("ES256");
    const kept = await store.signingKeys("ES256");
    expect(kept.map((k) => [k.kid, k.retiredAt === null])).toEqual([
      [fresh.kid, true],
      [old!.kid, false],
    ]);
  });
});
