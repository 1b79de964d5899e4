import { describe, expect, it } from "vitest";
import { FAST_SCRYPT } from "./testSupport/fastScrypt.ts";
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword } from "./passwordHash.ts";

describe("scrypt password hashes", () => {
  it("verifies the password it was made from and no other", async () => {
    const hash = await hashPassword("correct horse battery staple", FAST_SCRYPT);
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("records its parameters and uses a fresh salt each time", async () => {
    const a = await hashPassword("same password here", FAST_SCRYPT);
    const b = await hashPassword("same password here", FAST_SCRYPT);
    expect(a).toMatch(/^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("same password");
  });

  it("the default cost is the production one: N = 2^15, r = 8", async () => {
    expect(DEFAULT_SCRYPT).toEqual({ logN: 15, r: 8, p: 1 });
    const hash = await hashPassword("a long enough password", DEFAULT_SCRYPT);
    expect(hash.startsWith("scrypt$ln=15,r=8,p=1$")).toBe(true);
    expect(await verifyPassword("a long enough password", hash)).toBe(true);
  });

  it("never matches a stored value that is not a well-formed hash, or asks for an absurd cost", async () => {
    for (const stored of [
      "",
      "plaintext",
      "scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ])
      expect(await verifyPassword("plaintext", stored)).toBe(false);
  });

  it("asks for a rehash when the stored cost is lower than the current one", async () => {
    const cheap = await hashPassword("some password text", FAST_SCRYPT);
    expect(needsRehash(cheap, DEFAULT_SCRYPT)).toBe(true);
    expect(needsRehash(cheap, FAST_SCRYPT)).toBe(false);
  });
});
