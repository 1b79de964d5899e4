import { describe, expect, it } from "vitest";
import { placeRoot } from "./anchorChain.ts";
import type { AnchorEvent } from "./anchorChain.ts";

const ZERO = "0".repeat(64);
/** A 64-hex root made of one repeated character, e.g. h("a"). */
const h = (c: string) => c.repeat(64);
let block = 0;
const ev = (root: string, prevRoot: string, at = ++block, logIndex = 0): AnchorEvent => ({
  root: h(root),
  prevRoot: prevRoot === "0" ? ZERO : h(prevRoot),
  blockNumber: at,
  logIndex,
});

describe("placeRoot", () => {
  it("places every root of a single linked log, whatever order the events come in", () => {
    const log = [ev("a", "0"), ev("b", "a"), ev("c", "b"), ev("d", "c")];
    const shuffled = [log[2]!, log[0]!, log[3]!, log[1]!];
    expect(["a", "b", "c", "d"].map((r) => placeRoot(shuffled, h(r)))).toEqual(
      [1, 2, 3, 4].map((position) => ({ linked: true, position, length: 4 })),
    );
    // Two batches in one block are ordered by log index.
    expect(placeRoot([ev("a", "0", 7, 0), ev("b", "a", 7, 1)], h("b"))).toEqual({
      linked: true,
      position: 2,
      length: 2,
    });
  });

  it("refuses a second log start (a forged anchor(root, 1, 0, 0)) and everything after the fork, on both sides", () => {
    const log = [ev("a", "0", 1), ev("b", "a", 2), ev("f", "0", 3), ev("c", "b", 4)];
    for (const root of ["a", "b", "c", "f"]) {
      const placed = placeRoot(log, h(root));
      expect(placed.linked, root).toBe(false);
      expect(placed).toMatchObject({
        reason: expect.stringMatching(/^2 batches start a log \(prevRoot zero\), in blocks 1, 3/),
      });
    }
  });

  it("refuses both batches that claim the same previous root, keeping the roots before the fork", () => {
    const log = [ev("a", "0", 1), ev("b", "a", 2), ev("c", "b", 3), ev("f", "b", 4), ev("d", "c", 5)];
    expect(placeRoot(log, h("a"))).toEqual({ linked: true, position: 1, length: 2 });
    expect(placeRoot(log, h("b"))).toEqual({ linked: true, position: 2, length: 2 });
    for (const root of ["c", "f", "d"])
      expect(placeRoot(log, h(root))).toMatchObject({
        linked: false,
        reason: expect.stringMatching(/^2 batches name root bbbbbbbb…bbbbbbbb as their previous root, in blocks 3, 4/),
      });
  });

  it("refuses a root anchored twice, and the roots after it", () => {
    const log = [ev("a", "0", 1), ev("b", "a", 2), ev("b", "a", 3), ev("c", "b", 4)];
    expect(placeRoot(log, h("a"))).toEqual({ linked: true, position: 1, length: 1 });
    expect(placeRoot(log, h("b"))).toEqual({
      linked: false,
      reason: "root bbbbbbbb…bbbbbbbb was anchored 2 times, in blocks 2, 3",
    });
    expect(placeRoot(log, h("c"))).toMatchObject({
      linked: false,
      reason: expect.stringMatching(/^its ancestor .* anchored 2 times/),
    });
    // A duplicate later in time than the chain's own copy is a duplicate all the same.
    expect(placeRoot([ev("a", "0", 1), ev("a", "0", 9)], h("a")).linked).toBe(false);
  });

  it("refuses a root whose previous root was never anchored, or was anchored after it, or that is unknown", () => {
    const log = [ev("a", "0", 1), ev("x", "e", 2)];
    expect(placeRoot(log, h("x"))).toMatchObject({
      linked: false,
      reason: expect.stringMatching(/names previous root eeeeeeee…eeeeeeee, which was never anchored/),
    });
    expect(placeRoot(log, h("a"))).toEqual({ linked: true, position: 1, length: 1 });
    const early = [ev("b", "a", 1), ev("a", "0", 2)];
    expect(placeRoot(early, h("b"))).toMatchObject({
      linked: false,
      reason: expect.stringMatching(/anchored in block 1, before its previous root/),
    });
    expect(placeRoot(log, h("9"))).toEqual({ linked: false, reason: "root 99999999…99999999 was never anchored" });
    expect(placeRoot([ev("p", "q", 1), ev("q", "p", 2)], h("p"))).toMatchObject({
      linked: false,
      reason: expect.stringMatching(/cycle/),
    });
    expect(placeRoot([], h("a")).linked).toBe(false);
  });
});
