import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { DataKey } from "../ports/KeyStore.ts";
import { aadBytes, ENVELOPE_OPEN_FAILED, openEnvelope, sealEnvelope } from "./envelope.ts";
import { canonicalJson } from "./canonicalJson.ts";
import type { EnvelopeAad } from "./envelope.ts";

const keyA: DataKey = { keyId: "kA_" + randomBytes(8).toString("hex"), key: new Uint8Array(randomBytes(32)) };
const keyB: DataKey = { keyId: "kB_" + randomBytes(8).toString("hex"), key: new Uint8Array(randomBytes(32)) };
const keys = new Map([keyA, keyB].map((k) => [k.keyId, k]));
const keyFor = (keyId: string): DataKey => {
  const key = keys.get(keyId);
  if (!key) throw new FhirLedgerError("integrity", "unknown data key");
  return key;
};
const aad: EnvelopeAad = { type: "Observation", id: "obs-1", versionId: "3" };
const plaintext = new TextEncoder().encode(
  '{"id":"obs-1","resourceType":"Observation","subject":{"reference":"Patient/p-42"}}',
);

async function openFailure(promise: Promise<unknown>): Promise<FhirLedgerError> {
  const error = await promise.then(
    () => {
      throw new Error("expected openEnvelope to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirLedgerError);
  const ledgerError = error as FhirLedgerError;
  expect(ledgerError.code).toBe("integrity");
  expect(ledgerError.message).toBe(ENVELOPE_OPEN_FAILED);
  expect(ledgerError.cause).toBeDefined();
  return ledgerError;
}

describe("sealEnvelope / openEnvelope", () => {
  it("round-trips, with a sync or async key lookup", async () => {
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    expect(await openEnvelope({ envelope, keyFor, aad })).toEqual(plaintext);
    expect(await openEnvelope({ envelope, keyFor: async (id) => keyFor(id), aad })).toEqual(plaintext);
    const empty = sealEnvelope({ plaintext: new Uint8Array(0), key: keyA, aad });
    expect(await openEnvelope({ envelope: empty, keyFor, aad })).toEqual(new Uint8Array(0));
  });

  it("writes the documented layout: FLE1 | len | keyId | nonce | ciphertext | tag", () => {
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    const keyIdBytes = new TextEncoder().encode(keyA.keyId);
    expect(new TextDecoder().decode(envelope.subarray(0, 4))).toBe("FLE1");
    expect(envelope[4]).toBe(keyIdBytes.byteLength);
    expect(envelope.subarray(5, 5 + keyIdBytes.byteLength)).toEqual(keyIdBytes);
    expect(envelope.byteLength).toBe(5 + keyIdBytes.byteLength + 12 + plaintext.byteLength + 16);
  });

  it("puts nothing identifying the resource or patient in the bytes", () => {
    const envelope = Buffer.from(sealEnvelope({ plaintext, key: keyA, aad }));
    for (const secret of ["Observation", "obs-1", "Patient", "p-42", "resourceType"]) {
      expect(envelope.includes(Buffer.from(secret))).toBe(false);
    }
  });

  it("uses a fresh nonce each time, so equal plaintexts give different envelopes", () => {
    const a = sealEnvelope({ plaintext, key: keyA, aad });
    const b = sealEnvelope({ plaintext, key: keyA, aad });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("fails when opened as another type, id or version", async () => {
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    await openFailure(openEnvelope({ envelope, keyFor, aad: { ...aad, type: "Condition" } }));
    await openFailure(openEnvelope({ envelope, keyFor, aad: { ...aad, id: "obs-2" } }));
    await openFailure(openEnvelope({ envelope, keyFor, aad: { ...aad, versionId: "4" } }));
  });

  it("binds the key id: rewriting the header to another key fails", async () => {
    // Same key bytes under two ids: only the AAD can tell them apart.
    const alias: DataKey = { keyId: "kC_alias00000000000", key: keyA.key };
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    const swapped = new Uint8Array(envelope);
    swapped.set(new TextEncoder().encode(alias.keyId), 5);
    expect(alias.keyId.length).toBe(keyA.keyId.length);
    await openFailure(openEnvelope({ envelope: swapped, keyFor: () => alias, aad }));
  });

  it("fails on any flipped bit, every one with the same error", async () => {
    const envelope = sealEnvelope({ plaintext: new Uint8Array(8), key: keyA, aad });
    const messages = new Set<string>();
    for (let i = 0; i < envelope.byteLength; i++) {
      const bad = envelope.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      messages.add((await openFailure(openEnvelope({ envelope: bad, keyFor, aad }))).message);
    }
    expect([...messages]).toEqual([ENVELOPE_OPEN_FAILED]);
  });

  it("fails on truncation, bad magic, zero-length key id, unknown or mismatched key", async () => {
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    for (const length of [0, 3, 4, 5, 10, 5 + keyA.keyId.length + 27, envelope.byteLength - 1]) {
      await openFailure(openEnvelope({ envelope: envelope.subarray(0, length), keyFor, aad }));
    }
    const badMagic = envelope.slice();
    badMagic[3] = 0x32; // "FLE2"
    await openFailure(openEnvelope({ envelope: badMagic, keyFor, aad }));
    const zeroLength = envelope.slice();
    zeroLength[4] = 0;
    await openFailure(openEnvelope({ envelope: zeroLength, keyFor, aad }));
    const unknown = await openFailure(openEnvelope({ envelope, keyFor: () => keyFor("nope"), aad }));
    expect((unknown.cause as FhirLedgerError).message).toBe("unknown data key");
    await openFailure(openEnvelope({ envelope, keyFor: () => keyB, aad }));
    await openFailure(openEnvelope({ envelope, keyFor: () => ({ keyId: keyA.keyId, key: keyB.key }), aad }));
    await openFailure(openEnvelope({ envelope, keyFor: async () => Promise.reject(new Error("kms down")), aad }));
  });

  it("keeps a destroyed key's 'gone' as the cause", async () => {
    const envelope = sealEnvelope({ plaintext, key: keyA, aad });
    const error = await openFailure(
      openEnvelope({
        envelope,
        keyFor: () => {
          throw new FhirLedgerError("gone", "data key destroyed");
        },
        aad,
      }),
    );
    expect((error.cause as FhirLedgerError).code).toBe("gone");
  });

  it("refuses to seal with a non-opaque key id, a short key or an empty AAD field", () => {
    expect(() => sealEnvelope({ plaintext, key: { keyId: "Patient/123", key: keyA.key }, aad })).toThrow(
      FhirLedgerError,
    );
    expect(() => sealEnvelope({ plaintext, key: { keyId: "", key: keyA.key }, aad })).toThrow(FhirLedgerError);
    expect(() => sealEnvelope({ plaintext, key: { keyId: "k".repeat(256), key: keyA.key }, aad })).toThrow(
      FhirLedgerError,
    );
    expect(() => sealEnvelope({ plaintext, key: { keyId: "k1", key: new Uint8Array(16) }, aad })).toThrow(
      FhirLedgerError,
    );
    expect(() => sealEnvelope({ plaintext, key: keyA, aad: { ...aad, versionId: "" } })).toThrow(FhirLedgerError);
  });

  it("accepts a 255-byte key id (the 1-byte length's maximum)", async () => {
    const long: DataKey = { keyId: "k".repeat(255), key: keyA.key };
    const envelope = sealEnvelope({ plaintext, key: long, aad });
    expect(envelope[4]).toBe(255);
    expect(await openEnvelope({ envelope, keyFor: () => long, aad })).toEqual(plaintext);
  });
});

describe("aadBytes", () => {
  it("is the RFC 8785 canonical JSON of {type, id, versionId, keyId}, escapes included", () => {
    for (const [aad, keyId] of [
      [{ type: "Patient", id: "p-1", versionId: "1" }, "k1"],
      [{ type: "Observation", id: "x".repeat(64), versionId: "12" }, 'kms:alias/ä"\\\u0001'],
    ] as const) {
      expect(new TextDecoder().decode(aadBytes(aad, keyId))).toBe(
        canonicalJson({ type: aad.type, id: aad.id, versionId: aad.versionId, keyId }),
      );
    }
  });
});
