import { describe, expect, it } from "vitest";
import { canonicalJson } from "../crypto/canonicalJson.ts";
import { toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { leafHash } from "../merkle/leafHash.ts";
import { recordLeafData, recordLeafHash } from "./leaf.ts";

const plaintext = canonicalJson({ resourceType: "Patient", id: "p1", active: true });
const contentHash = sha256(plaintext);
const cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
const base = { type: "Patient", id: "p1", versionId: "2", cid, contentHash };

describe("recordLeafData", () => {
  it("is the UTF-8 canonical JSON of cid, hex content hash and versioned reference", () => {
    const text = new TextDecoder().decode(recordLeafData(base));
    expect(text).toBe(`{"cid":"${cid}","hash":"${toHex(contentHash)}","ref":"Patient/p1/_history/2"}`);
  });

  it("accepts the content hash as bytes or lower-case hex, with the same result", () => {
    expect(recordLeafData({ ...base, contentHash: toHex(contentHash) })).toEqual(recordLeafData(base));
  });

  it("changes with every field", () => {
    const leaf = toHex(recordLeafHash(base));
    const variants = [
      { ...base, type: "Practitioner" },
      { ...base, id: "p2" },
      { ...base, versionId: "3" },
      { ...base, cid: cid.replace(/u$/, "a") },
      { ...base, contentHash: sha256("other") },
    ];
    for (const variant of variants) expect(toHex(recordLeafHash(variant))).not.toBe(leaf);
  });

  it("rejects values that would make the reference ambiguous or the hash unclear", () => {
    const bad = [
      { ...base, type: "patient" },
      { ...base, type: "Patient/x" },
      { ...base, id: "a/b" },
      { ...base, id: "" },
      { ...base, id: "x".repeat(65) },
      { ...base, versionId: "1/_history/2" },
      { ...base, cid: "" },
      { ...base, cid: "bafy/../x" },
      { ...base, contentHash: new Uint8Array(31) },
      { ...base, contentHash: toHex(contentHash).toUpperCase() },
      { ...base, contentHash: "abc" },
    ];
    for (const parameters of bad) {
      expect(() => recordLeafData(parameters)).toThrow(FhirLedgerError);
    }
  });
});

describe("recordLeafHash", () => {
  it("is the RFC 6962 leaf hash of the leaf data", () => {
    expect(recordLeafHash(base)).toEqual(leafHash(recordLeafData(base)));
    expect(recordLeafHash(base)).toEqual(sha256(new Uint8Array([0, ...recordLeafData(base)])));
  });

  it("is stable (a change here breaks every anchored proof)", () => {
    const fixed = {
      type: "Observation",
      id: "obs-1",
      versionId: "1",
      cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
      contentHash: "0000000000000000000000000000000000000000000000000000000000000000",
    };
    const data = new TextDecoder().decode(recordLeafData(fixed));
    expect(data).toBe(
      '{"cid":"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy","hash":"0000000000000000000000000000000000000000000000000000000000000000","ref":"Observation/obs-1/_history/1"}',
    );
    // Cross-checked with: printf '\x00<data>' | sha256sum
    expect(toHex(recordLeafHash(fixed))).toBe("05b44a09eb641edd8b41d08306306a67dadc66cfe889d12730e65c2d0444ef63");
  });
});

describe("recordLeafData over varied ids and types", () => {
  it("is the RFC 8785 canonical JSON of {cid, hash, ref}, also for ids and types that need no escaping but vary in length", () => {
    for (const [type, id, versionId] of [
      ["Patient", "a", "1"],
      ["Observation", "x".repeat(64), "123"],
      ["AuditEvent", "A-b.c", "9"],
    ] as const) {
      const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
      const hash = "ab".repeat(32);
      expect(new TextDecoder().decode(recordLeafData({ type, id, versionId, cid, contentHash: hash }))).toBe(
        canonicalJson({ cid, hash, ref: `${type}/${id}/_history/${versionId}` }),
      );
    }
  });
});
