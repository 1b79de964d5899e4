import { createHash, randomBytes } from "node:crypto";
import { NextToLast } from "blockstore-fs/sharding";
import { CID } from "multiformats/cid";
import { describe, expect, it } from "vitest";
import { rawCid } from "./rawCid.ts";
import { rawCidPath } from "./rawCidPath.ts";

describe("rawCidPath", () => {
  it("names the same file as CID.parse plus blockstore-fs NextToLast, with the block's digest", () => {
    const sharding = new NextToLast();
    for (let i = 0; i < 500; i++) {
      const bytes = randomBytes(1 + (i % 64));
      const cid = rawCid(bytes).toString();
      const expected = sharding.encode(CID.parse(cid));
      const path = rawCidPath(cid)!;
      expect({ dir: path.dir, file: path.file }).toEqual(expected);
      expect(Buffer.from(path.digest).equals(createHash("sha256").update(bytes).digest())).toBe(true);
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
    expect(rawCidPath(cid)).toBeUndefined();
  });
});
