import { createHash, randomBytes } from "node:crypto";
import { CID } from "multiformats/cid";
import { describe, expect, it } from "vitest";
import { rawCid } from "./rawCid.ts";
import { rawCidMultihash } from "./rawCidMultihash.ts";

describe("rawCidMultihash", () => {
  it("gives the same multihash as CID.parse, with the block's digest", () => {
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(1 + (i % 64));
      const cid = rawCid(bytes).toString();
      const parsed = rawCidMultihash(cid)!;
      expect(Buffer.from(parsed.multihash).equals(CID.parse(cid).multihash.bytes)).toBe(true);
      expect(Buffer.from(parsed.digest).equals(createHash("sha256").update(bytes).digest())).toBe(true);
    }
  });

  it.each([
    ["CIDv0", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"],
    ["dag-pb CIDv1", "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"],
    ["upper-case base32", "BAFKREIDOX5ZSZQRNWQ4OKAMSXOVOGOH75DVUEQBD52IBHULQCSUBTUPYVE"],
    ["truncated", "bafkreidox5zszqrnwq4okamsxovogoh75dvueqbd52ibhulqcsubtupyv"],
    ["a character outside base32", "bafkreidox5zszqrnwq4okamsxovogoh75dvueqbd52ibhulqcsubtupyv1"],
    ["path text", "bafkreidox5zszqrnwq4okamsxovogoh75dvueqbd52ibh/../../etc/pa"],
  ])("leaves %s to the general parser", (_, cid) => {
    expect(rawCidMultihash(cid)).toBeUndefined();
  });
});
