import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { MAX_JSON_DEPTH, canonicalJson } from "./canonicalJson.ts";

function rejection(value: unknown): FhirLedgerError {
  try {
    canonicalJson(value);
  } catch (error) {
    expect(error).toBeInstanceOf(FhirLedgerError);
    return error as FhirLedgerError;
  }
  throw new Error("expected canonicalJson to throw");
}

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: 0, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":0}}',
    );
    // RFC 8785 section 3.2.3 sorting example: code units, not code points.
    expect(canonicalJson({ "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, "1": 4, "\u0080": 5, "\u00f6": 6 })).toBe(
      '{"\\r":2,"1":4,"\u0080":5,"\u00f6":6,"\u20ac":1,"\ud83d\ude00":3}',
    );
  });

  it("serialises numbers the ECMAScript way (RFC 8785 section 3.2.2.3)", () => {
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, 100, 333333333.3333333])).toBe(
      "[1e+21,1e-7,0.30000000000000004,100,333333333.3333333]",
    );
  });

  it("gives the same text for the same data in any key order", () => {
    const a = { resourceType: "Patient", id: "p1", name: [{ family: "Doe", given: ["J"] }] };
    const b = { name: [{ given: ["J"], family: "Doe" }], id: "p1", resourceType: "Patient" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it("accepts null-prototype objects (as from some parsers)", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.k = 1;
    expect(canonicalJson(o)).toBe('{"k":1}');
  });

  it("rejects undefined anywhere instead of dropping it", () => {
    expect(rejection(undefined).code).toBe("invalid");
    const member = rejection({ a: { b: undefined } });
    expect(member.code).toBe("invalid");
    expect(member.issues[0]?.expression).toEqual(["$.a.b"]);
    expect(rejection([1, undefined]).issues[0]?.expression).toEqual(["$[1]"]);
  });

  it("rejects non-finite numbers", () => {
    for (const n of [NaN, Infinity, -Infinity]) expect(rejection({ n }).code).toBe("invalid");
  });

  it("rejects functions, symbols, bigints, holes, class instances and cycles", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: unknown[] = [
      { f: () => 1 },
      { s: Symbol("x") },
      { b: 1n },
      // biome-ignore lint/suspicious/noSparseArray: a hole is what this case is about
      [1, , 3],
      { d: new Date(0) },
      { m: new Map() },
      { u: new Uint8Array(1) },
      cyclic,
    ];
    for (const value of cases) expect(rejection(value).code).toBe("invalid");
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("rejects lone surrogates, which have no UTF-8 form", () => {
    expect(rejection({ s: "\ud800" }).code).toBe("invalid");
  });

  it("caps nesting depth", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(rejection(deep).code).toBe("invalid");
    let ok: unknown = 1;
    for (let i = 0; i < 50; i++) ok = { a: ok };
    expect(() => canonicalJson(ok)).not.toThrow();
  });

  it("sorts objects of any size and key order as the reference does", () => {
    // Insertion-sorted up to 24 keys, Array.prototype.sort beyond: both sides of that line.
    const alphabet = [
      "a",
      "B",
      "_",
      "1",
      "\u00e9",
      "\u20ac",
      "\ufb33",
      "\ud83d\ude00",
      "\u0080",
      "aa",
      "resourceType",
      "id",
    ];
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let size = 0; size <= 40; size++) {
      for (let round = 0; round < 5; round++) {
        const value: Record<string, unknown> = {};
        while (Object.keys(value).length < size)
          value[alphabet[next(alphabet.length)]! + alphabet[next(alphabet.length)]! + String(next(50))] = {
            x: next(9),
            [alphabet[next(alphabet.length)]!]: [size],
          };
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }
    }
  });

  it("checks every member name, including ones it has seen before", () => {
    expect(canonicalJson({ status: 1 })).toBe('{"status":1}');
    expect(canonicalJson({ status: 2 })).toBe('{"status":2}');
    expect(rejection({ ["st\ud800"]: 1 }).code).toBe("invalid");
    expect(rejection({ ["st\ud800"]: 1 }).code).toBe("invalid");
  });

  it("equals the reference implementation (the canonicalize package) on official R4 examples and on edge values", () => {
    const dir = dirname(createRequire(import.meta.url).resolve("hl7.fhir.r4.examples/package.json"));
    // Every 8th of the 5,300 examples (all of them take ~10 s here); the pipeline's own example
    // test writes and reads a larger share through the server.
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json") && f !== "package.json" && !f.startsWith("."))
      .sort()
      .filter((_, i) => i % 8 === 0);
    expect(files.length).toBeGreaterThan(600);
    for (const file of files) {
      const value = JSON.parse(readFileSync(join(dir, file), "utf8")) as unknown;
      expect(canonicalJson(value), file).toBe(canonicalize(value));
    }
    const edges: unknown[] = [
      {
        "\u20ac": 1,
        "\r": 2,
        "\ufb33": 3,
        "1": 4,
        "\ud83d\ude00": 5,
        "\u0080": 6,
        "": 7,
        a: [1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 2 ** 53 + 1],
      },
      ['\u0000\u001f"\\/\u2028\u2029', null, true, false, [], {}],
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
    ];
    for (const value of edges) expect(canonicalJson(value)).toBe(canonicalize(value));
  });
});
