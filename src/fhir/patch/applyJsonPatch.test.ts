import { describe, expect, it } from "vitest";
import type { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { applyJsonPatch } from "./applyJsonPatch.ts";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as FhirLedgerError).code;
  }
  return "no error";
};

describe("applyJsonPatch (RFC 6902)", () => {
  const doc = { resourceType: "Patient", id: "p", name: [{ family: "A", given: ["x", "y"] }], "a/b": 1, "m~n": 2 };

  it("adds, removes, replaces, moves, copies and tests, leaving the input untouched", () => {
    const out = applyJsonPatch(doc, [
      { op: "test", path: "/name/0/family", value: "A" },
      { op: "add", path: "/name/0/given/1", value: "between" },
      { op: "add", path: "/name/0/given/-", value: "last" },
      { op: "replace", path: "/name/0/family", value: "B" },
      { op: "remove", path: "/name/0/given/0" },
      { op: "copy", from: "/name/0", path: "/name/-" },
      { op: "move", from: "/a~1b", path: "/moved" },
      { op: "add", path: "/active", value: true },
      { op: "test", path: "/m~0n", value: 2 },
    ]);
    expect(out).toEqual({
      resourceType: "Patient",
      id: "p",
      name: [
        { family: "B", given: ["between", "y", "last"] },
        { family: "B", given: ["between", "y", "last"] },
      ],
      "m~n": 2,
      moved: 1,
      active: true,
    });
    expect(doc.name[0]!.given).toEqual(["x", "y"]);
  });

  it("compares objects in test regardless of key order", () => {
    expect(() =>
      applyJsonPatch({ a: { x: 1, y: [1, { z: 2 }] } }, [
        { op: "test", path: "/a", value: { y: [1, { z: 2 }], x: 1 } },
      ]),
    ).not.toThrow();
  });

  it("treats __proto__ as an ordinary key", () => {
    const out = applyJsonPatch({} as Record<string, unknown>, [
      { op: "add", path: "/__proto__", value: { polluted: true } },
    ]);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses malformed patches with 400 (bad-request)", () => {
    for (const patch of [
      {},
      [{ op: "jump", path: "/a" }],
      [{ op: "add", path: "a", value: 1 }],
      [{ op: "add", path: "/a" }],
      [{ op: "move", path: "/a" }],
      [{ op: "remove", path: "/a~2" }],
      ["x"],
    ]) {
      expect(
        codeOf(() => applyJsonPatch({ a: 1 }, patch)),
        JSON.stringify(patch),
      ).toBe("bad-request");
    }
  });

  it("answers a patch that does not fit the document with 422 (unprocessable)", () => {
    for (const patch of [
      [{ op: "test", path: "/a", value: 2 }],
      [{ op: "remove", path: "/missing" }],
      [{ op: "replace", path: "/list/5", value: 1 }],
      [{ op: "add", path: "/list/01", value: 1 }],
      [{ op: "add", path: "/no/such/parent", value: 1 }],
      [{ op: "move", from: "/obj", path: "/obj/inner" }],
    ]) {
      expect(
        codeOf(() => applyJsonPatch({ a: 1, list: [1], obj: {} }, patch)),
        JSON.stringify(patch),
      ).toBe("unprocessable");
    }
  });

  it("applies all or nothing: a failing operation leaves no partial result", () => {
    const input = { a: 1 };
    expect(
      codeOf(() =>
        applyJsonPatch(input, [
          { op: "replace", path: "/a", value: 9 },
          { op: "test", path: "/a", value: 1 },
        ]),
      ),
    ).toBe("unprocessable");
    expect(input).toEqual({ a: 1 });
  });
});

describe("applyJsonPatch with deeply nested values", () => {
  it("copies without recursion", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(() =>
      applyJsonPatch({ a: 1 }, [
        { op: "add", path: "/deep", value: deep },
        { op: "copy", from: "/deep", path: "/again" },
      ]),
    ).not.toThrow();
  });
});
