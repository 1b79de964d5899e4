import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../crypto/hex.ts";
import { sha256 } from "../crypto/sha256.ts";
import { inclusionProof } from "./inclusionProof.ts";
import { inclusionProofs } from "./inclusionProofs.ts";
import { leafHash } from "./leafHash.ts";
import { merkleRoot } from "./merkleRoot.ts";
import { nodeHash } from "./nodeHash.ts";
import { verifyInclusion } from "./verifyInclusion.ts";

// RFC 6962 reference tree used by certificate-transparency-go and trillian.
const LEAF_DATA = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(fromHex);
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const PROOFS = [
  {
    index: 0,
    size: 8,
    path: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { index: 2, size: 3, path: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    path: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];
const LEAVES = LEAF_DATA.map(leafHash);

// Straight from the RFC 6962 section 2.1 definitions, recursion and all.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function referenceRoot(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0] as Uint8Array;
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(referenceRoot(d.slice(0, k)), referenceRoot(d.slice(k)));
}
function referencePath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...referencePath(m, d.slice(0, k)), referenceRoot(d.slice(k))]
    : [...referencePath(m - k, d.slice(k)), referenceRoot(d.slice(0, k))];
}
const randomLeaves = (n: number) => Array.from({ length: n }, () => leafHash(new Uint8Array(randomBytes(8))));
const hexes = (list: Uint8Array[]) => list.map(toHex);

describe("leafHash / nodeHash", () => {
  it("prefix 0x00 for leaves and 0x01 for nodes", () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(ROOTS[1]);
    expect(leafHash(new Uint8Array([7]))).toEqual(sha256(new Uint8Array([0, 7])));
    const l = LEAVES[0] as Uint8Array;
    const r = LEAVES[1] as Uint8Array;
    expect(nodeHash(l, r)).toEqual(sha256(new Uint8Array([1, ...l, ...r])));
    expect(toHex(nodeHash(l, r))).toBe(ROOTS[2]);
  });
});

describe("merkleRoot", () => {
  it("matches the RFC 6962 reference roots for sizes 0..8", () => {
    for (let n = 0; n <= 8; n++) expect(toHex(merkleRoot(LEAVES.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
  });

  it("matches the recursive definition for sizes 1..70", () => {
    const leaves = randomLeaves(70);
    for (let n = 1; n <= 70; n++) expect(merkleRoot(leaves.slice(0, n))).toEqual(referenceRoot(leaves.slice(0, n)));
  });

  it("depends on order and on every leaf", () => {
    const leaves = randomLeaves(9);
    const root = merkleRoot(leaves);
    expect(merkleRoot([...leaves].reverse())).not.toEqual(root);
    for (let i = 0; i < leaves.length; i++) {
      const changed = [...leaves];
      changed[i] = leafHash(new Uint8Array([i]));
      expect(merkleRoot(changed)).not.toEqual(root);
    }
  });

  it("does not treat a duplicated last leaf as the same tree (no Bitcoin-style padding)", () => {
    const leaves = randomLeaves(3);
    expect(merkleRoot(leaves)).not.toEqual(merkleRoot([...leaves, leaves[2] as Uint8Array]));
  });

  it("rejects leaf hashes that are not 32 bytes", () => {
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(RangeError);
  });
});

describe("inclusionProof / inclusionProofs", () => {
  it("matches the RFC 6962 reference audit paths", () => {
    for (const { index, size, path } of PROOFS) {
      expect(hexes(inclusionProof(LEAVES.slice(0, size), index)), `${index}/${size}`).toEqual(path);
    }
  });

  it("matches the recursive PATH for every index of sizes 1..70", () => {
    const leaves = randomLeaves(70);
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      const all = inclusionProofs(tree);
      expect(all).toHaveLength(n);
      for (let m = 0; m < n; m++) {
        const expected = hexes(referencePath(m, tree));
        expect(hexes(all[m] as Uint8Array[]), `${m}/${n}`).toEqual(expected);
        expect(hexes(inclusionProof(tree, m))).toEqual(expected);
      }
    }
  });

  it("an empty batch has no proofs; a single leaf has an empty path", () => {
    expect(inclusionProofs([])).toEqual([]);
    expect(inclusionProof(LEAVES.slice(0, 1), 0)).toEqual([]);
  });

  it("rejects an index outside the tree", () => {
    for (const index of [-1, 8, 1.5, NaN]) expect(() => inclusionProof(LEAVES, index)).toThrow(RangeError);
  });

  it("computes every proof of a 4096-leaf batch (timing printed, not asserted)", () => {
    const leaves = randomLeaves(4096);
    const started = performance.now();
    const proofs = inclusionProofs(leaves);
    const elapsed = performance.now() - started;
    console.log(`inclusionProofs: 4096 leaves in ${elapsed.toFixed(1)} ms`);
    expect(proofs).toHaveLength(4096);
    expect(proofs.every((p) => p.length === 12)).toBe(true);
    const root = merkleRoot(leaves);
    for (const index of [0, 1, 2047, 2048, 4095]) {
      expect(
        verifyInclusion({
          leafHash: leaves[index] as Uint8Array,
          index,
          treeSize: 4096,
          proof: proofs[index] as Uint8Array[],
          root,
        }),
      ).toBe(true);
    }
  });
});

describe("verifyInclusion (RFC 9162 2.1.3.2)", () => {
  it("accepts the RFC 6962 reference paths", () => {
    for (const { index, size, path } of PROOFS) {
      const ok = verifyInclusion({
        leafHash: LEAVES[index] as Uint8Array,
        index,
        treeSize: size,
        proof: path.map(fromHex),
        root: fromHex(ROOTS[size] as string),
      });
      expect(ok, `${index}/${size}`).toBe(true);
    }
  });

  it("accepts every leaf of sizes 1..70 and rejects every tampering", () => {
    const leaves = randomLeaves(70);
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      const root = merkleRoot(tree);
      const proofs = inclusionProofs(tree);
      for (let index = 0; index < n; index++) {
        const proof = proofs[index] as Uint8Array[];
        const leaf = tree[index] as Uint8Array;
        const base = { leafHash: leaf, index, treeSize: n, proof, root };
        expect(verifyInclusion(base), `${index}/${n}`).toBe(true);
        expect(verifyInclusion({ ...base, leafHash: leafHash(new Uint8Array([1, 2, 3])) })).toBe(false);
        expect(verifyInclusion({ ...base, root: leafHash(new Uint8Array(0)) })).toBe(false);
        if (n > 1) {
          expect(verifyInclusion({ ...base, index: (index + 1) % n })).toBe(false);
        }
        // (A different tree size can legitimately verify: RFC 6962 roots do not
        // commit to n, which is why the anchored root travels with its batch size.)
        expect(verifyInclusion({ ...base, treeSize: index })).toBe(false);
        expect(verifyInclusion({ ...base, proof: [...proof, leaf] })).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusion({ ...base, proof: proof.slice(0, -1) })).toBe(false);
          const flipped = proof.map((p) => p.slice());
          const first = flipped[0] as Uint8Array;
          first[0] = (first[0] ?? 0) ^ 1;
          expect(verifyInclusion({ ...base, proof: flipped })).toBe(false);
          expect(verifyInclusion({ ...base, proof: [...proof].reverse() })).toBe(proof.length === 1);
        }
      }
    }
  });

  it("rejects malformed input instead of throwing", () => {
    const root = merkleRoot(LEAVES);
    const proof = inclusionProof(LEAVES, 3);
    const base = { leafHash: LEAVES[3] as Uint8Array, index: 3, treeSize: 8, proof, root };
    expect(verifyInclusion(base)).toBe(true);
    for (const broken of [
      { ...base, index: -1 },
      { ...base, index: 8 },
      { ...base, index: 1.5 },
      { ...base, treeSize: 0 },
      { ...base, treeSize: Number.MAX_SAFE_INTEGER + 2 },
      { ...base, root: root.subarray(0, 31) },
      { ...base, leafHash: new Uint8Array(33) },
      { ...base, proof: [proof[0] as Uint8Array, new Uint8Array(31), proof[2] as Uint8Array] },
      { ...base, proof: Array.from({ length: 65 }, () => proof[0] as Uint8Array) },
    ]) {
      expect(verifyInclusion(broken)).toBe(false);
    }
  });

  it("handles tree sizes beyond 2^32 (no 32-bit bit operators)", () => {
    // Leaf 2^32 of a tree of 2^32 + 1 leaves: its path is the one root of the left 2^32 leaves.
    const left = leafHash(new Uint8Array([1]));
    const leaf = leafHash(new Uint8Array([2]));
    const root = nodeHash(left, leaf);
    expect(verifyInclusion({ leafHash: leaf, index: 2 ** 32, treeSize: 2 ** 32 + 1, proof: [left], root })).toBe(true);
    expect(verifyInclusion({ leafHash: leaf, index: 0, treeSize: 2 ** 32 + 1, proof: [left], root })).toBe(false);
  });

  it("times verification of a 4096-leaf proof (printed, not asserted)", () => {
    const leaves = randomLeaves(4096);
    const root = merkleRoot(leaves);
    const proofs = inclusionProofs(leaves);
    const rounds = 20_000;
    const started = performance.now();
    let ok = 0;
    for (let i = 0; i < rounds; i++) {
      const index = i % 4096;
      if (
        verifyInclusion({
          leafHash: leaves[index] as Uint8Array,
          index,
          treeSize: 4096,
          proof: proofs[index] as Uint8Array[],
          root,
        })
      )
        ok++;
    }
    const elapsed = performance.now() - started;
    console.log(`verifyInclusion: ${((elapsed * 1000) / rounds).toFixed(2)} µs per 12-step proof (${rounds} rounds)`);
    expect(ok).toBe(rounds);
  });
});
