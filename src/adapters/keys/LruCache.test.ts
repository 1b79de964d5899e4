import { describe, expect, it } from "vitest";
import { LruCache } from "./LruCache.ts";

describe("LruCache", () => {
  it("evicts the least recently used entry past its bound", () => {
    const evicted: number[] = [];
    const cache = new LruCache<string, number>(2, (v) => evicted.push(v));
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // a is now the most recent
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
    expect(evicted).toEqual([2]);
  });

  it("reports replaced, deleted and cleared values to onEvict", () => {
    const evicted: number[] = [];
    const cache = new LruCache<string, number>(10, (v) => evicted.push(v));
    cache.set("a", 1);
    cache.set("a", 2);
    cache.set("b", 3);
    cache.delete("b");
    cache.delete("missing");
    cache.clear();
    expect(evicted).toEqual([1, 3, 2]);
    expect(cache.size).toBe(0);
  });

  it("rejects a non-positive bound", () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });
});
