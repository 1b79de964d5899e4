import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { lengthOf, prefixOf, registerSearchFunctions, SearchKey, searchKeyOf } from "./searchKey.ts";

const key = new SearchKey(new Uint8Array(32).fill(1));
const other = new SearchKey(new Uint8Array(32).fill(2));
const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));

describe("SearchKey", () => {
  it("refuses a secret that is not 32 bytes", () => {
    expect(() => new SearchKey(new Uint8Array(16))).toThrow("the search key must be 32 bytes");
  });

  it("blinds by value, domain and key: equal inputs alike, anything else apart, 16 bytes, never the value", () => {
    const h = key.blind("sp", "smith");
    expect(h.byteLength).toBe(16);
    expect(hex(key.blind("sp", "smith"))).toBe(hex(h));
    expect(hex(key.blind("sx", "smith"))).not.toBe(hex(h));
    expect(hex(key.blind("sp", "smiths"))).not.toBe(hex(h));
    expect(hex(other.blind("sp", "smith"))).not.toBe(hex(h));
    expect(Buffer.from(h).includes(Buffer.from("smith"))).toBe(false);
  });

  it("seals deterministically (an equality index) and opens what it sealed, any text", () => {
    for (const value of ["", "8867-4", "Chalmers-Windsor", "Zoë 😀 Ångström", "x".repeat(5000)]) {
      const sealed = key.seal(value);
      expect(hex(key.seal(value))).toBe(hex(sealed));
      expect(key.open(sealed)).toBe(value);
      expect(sealed.byteLength).toBe(16 + Buffer.byteLength(value));
      if (value.length > 3) expect(Buffer.from(sealed).includes(Buffer.from(value))).toBe(false);
    }
    expect(hex(key.seal("a"))).not.toBe(hex(key.seal("b")));
    expect(hex(other.seal("a"))).not.toBe(hex(key.seal("a")));
  });

  it("refuses to open a seal that was altered, truncated or made under another key", () => {
    const sealed = key.seal("Chalmers");
    const altered = new Uint8Array(sealed);
    altered[20]! ^= 1;
    expect(() => key.open(altered)).toThrow("does not open");
    expect(() => key.open(sealed.subarray(0, 10))).toThrow("too short");
    expect(() => other.open(sealed)).toThrow("does not open");
  });

  it("seals bytes with a fresh IV each time and refuses them altered or under another key", () => {
    const plain = new TextEncoder().encode('[{"response":{"status":"201 Created"}}]');
    const a = key.sealBytes(plain);
    const b = key.sealBytes(plain);
    expect(hex(a)).not.toBe(hex(b));
    expect(key.openBytes(a)).toEqual(plain);
    const altered = new Uint8Array(a);
    altered[14]! ^= 1;
    expect(() => key.openBytes(altered)).toThrow();
    expect(() => other.openBytes(a)).toThrow();
  });
});

describe("prefixes and lengths count code points, as SQLite's substr and length do", () => {
  const db = new DatabaseSync(":memory:");
  for (const value of ["smith", "zoë", "😀a😀b", "ab😀", ""]) {
    it(JSON.stringify(value), () => {
      const { n } = db.prepare("SELECT length(?) AS n").get(value) as { n: number };
      expect(lengthOf(value)).toBe(n);
      for (let k = 0; k <= n + 1; k++) {
        const { p } = db.prepare("SELECT substr(?, 1, ?) AS p").get(value, k) as { p: string };
        expect(prefixOf(value, k)).toBe(p);
      }
    });
  }
});

describe("registerSearchFunctions", () => {
  const db = new DatabaseSync(":memory:");
  registerSearchFunctions(db, key);
  const one = (sql: string, ...args: (string | Uint8Array | null | number)[]) =>
    Object.values(db.prepare(sql).get(...args) as Record<string, unknown>)[0];

  it("gives the connection's key to writers and refuses a connection without one", () => {
    expect(searchKeyOf(db)).toBe(key);
    expect(() => searchKeyOf(new DatabaseSync(":memory:"))).toThrow("no search key");
  });

  it("computes in SQL what the key computes in JS, NULL in NULL out", () => {
    expect(hex(one("SELECT fl_seal(?)", "8867-4") as Uint8Array)).toBe(hex(key.seal("8867-4")));
    expect(hex(one("SELECT fl_blind('sp', ?)", "smi") as Uint8Array)).toBe(hex(key.blind("sp", "smi")));
    const sealed = key.seal("Zoë  Chalmers");
    expect(one("SELECT fl_open(?)", sealed)).toBe("Zoë  Chalmers");
    expect(one("SELECT fl_norm(?)", sealed)).toBe("zoe chalmers");
    expect(one("SELECT fl_starts(?, ?)", sealed, "zoe ch")).toBe(1);
    expect(one("SELECT fl_starts(?, ?)", sealed, "chal")).toBe(0);
    expect(one("SELECT fl_contains(?, ?)", sealed, "chal")).toBe(1);
    expect(one("SELECT fl_contains(?, ?)", sealed, "xyz")).toBe(0);
    expect(one("SELECT fl_date(?, 1)", key.seal("-1213142400000,-1213056000001"))).toBe(-1213056000001);
    for (const f of ["fl_seal(NULL)", "fl_blind('sp', NULL)", "fl_open(NULL)", "fl_norm(NULL)", "fl_date(NULL, 0)"])
      expect(one(`SELECT ${f}`), f).toBeNull();
  });
});
