import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "./hex.ts";

describe("hex", () => {
  it("round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(all))).toEqual(all);
    expect(toHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe("0001abff");
  });

  it("encodes only the viewed part of a subarray", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(toHex(bytes.subarray(1, 3))).toBe("0203");
  });

  it("accepts upper case and the empty string", () => {
    expect(fromHex("ABcd")).toEqual(new Uint8Array([0xab, 0xcd]));
    expect(fromHex("")).toEqual(new Uint8Array(0));
  });

  it("rejects odd length and non-hex instead of truncating", () => {
    for (const bad of ["a", "abc", "zz", "00g0", "0x00", " 00"]) expect(() => fromHex(bad)).toThrow(TypeError);
  });
});
