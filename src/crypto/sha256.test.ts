import { describe, expect, it } from "vitest";
import { toHex } from "./hex.ts";
import { sha256 } from "./sha256.ts";

describe("sha256", () => {
  it("matches the FIPS 180-2 vectors for bytes and strings", () => {
    expect(toHex(sha256(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256(new TextEncoder().encode("abc"))).toEqual(sha256("abc"));
  });

  it("hashes strings as UTF-8", () => {
    expect(sha256("é")).toEqual(sha256(new Uint8Array([0xc3, 0xa9])));
  });

  it("returns a plain 32-byte Uint8Array", () => {
    const digest = sha256("x");
    expect(digest.constructor).toBe(Uint8Array);
    expect(digest.byteLength).toBe(32);
  });
});
