import { createSecretKey, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aesGcmDecrypt } from "./aesGcmDecrypt.ts";
import { aesGcmEncrypt } from "./aesGcmEncrypt.ts";
import { fromHex, toHex } from "./hex.ts";

const key = new Uint8Array(randomBytes(32));
const aad = new TextEncoder().encode("context");

describe("aesGcmEncrypt / aesGcmDecrypt", () => {
  it("round-trips, including empty plaintext", () => {
    for (const size of [0, 1, 15, 16, 17, 4096]) {
      const plaintext = new Uint8Array(randomBytes(size));
      const sealed = aesGcmEncrypt({ key, plaintext, aad });
      expect(sealed.byteLength).toBe(12 + size + 16);
      expect(aesGcmDecrypt({ key, sealed, aad })).toEqual(plaintext);
    }
  });

  it("uses a fresh nonce each call", () => {
    const plaintext = new Uint8Array([1, 2, 3]);
    const nonces = new Set<string>();
    for (let i = 0; i < 100; i++) nonces.add(toHex(aesGcmEncrypt({ key, plaintext, aad }).subarray(0, 12)));
    expect(nonces.size).toBe(100);
  });

  it("matches the NIST GCM test vector (key 0, 96-bit IV 0, 16 zero bytes)", () => {
    // McGrew & Viega test case 14 (AES-256): nonce || C || T with nonce = 0^96.
    const zeroKey = new Uint8Array(32);
    const sealed = fromHex(
      "000000000000000000000000" + "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919",
    );
    expect(aesGcmDecrypt({ key: zeroKey, sealed, aad: new Uint8Array(0) })).toEqual(new Uint8Array(16));
  });

  it("rejects a flipped bit anywhere, wrong AAD, wrong key, truncation", () => {
    const sealed = aesGcmEncrypt({ key, plaintext: new Uint8Array(32), aad });
    for (let i = 0; i < sealed.byteLength; i++) {
      const bad = sealed.slice();
      bad[i] = (bad[i] ?? 0) ^ 1;
      expect(() => aesGcmDecrypt({ key, sealed: bad, aad })).toThrow();
    }
    expect(() => aesGcmDecrypt({ key, sealed, aad: new Uint8Array(0) })).toThrow();
    expect(() => aesGcmDecrypt({ key: new Uint8Array(32), sealed, aad })).toThrow();
    expect(() => aesGcmDecrypt({ key, sealed: sealed.subarray(0, 27), aad })).toThrow();
    expect(() => aesGcmDecrypt({ key, sealed: sealed.subarray(0, sealed.byteLength - 1), aad })).toThrow();
  });

  it("takes the key as raw bytes or as an imported KeyObject, interchangeably", () => {
    const handle = createSecretKey(key);
    const plaintext = new Uint8Array(randomBytes(100));
    expect(aesGcmDecrypt({ key: handle, sealed: aesGcmEncrypt({ key, plaintext, aad }), aad })).toEqual(plaintext);
    expect(aesGcmDecrypt({ key, sealed: aesGcmEncrypt({ key: handle, plaintext, aad }), aad })).toEqual(plaintext);
    expect(() =>
      aesGcmDecrypt({ key: createSecretKey(new Uint8Array(32)), sealed: aesGcmEncrypt({ key, plaintext, aad }), aad }),
    ).toThrow();
  });

  it("refuses keys that are not 256 bits", () => {
    expect(() => aesGcmEncrypt({ key: new Uint8Array(16), plaintext: new Uint8Array(1), aad })).toThrow(/256-bit/);
    expect(() =>
      aesGcmEncrypt({ key: createSecretKey(new Uint8Array(16)), plaintext: new Uint8Array(1), aad }),
    ).toThrow(/256-bit/);
  });
});
