import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./KeyedMutex.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("KeyedMutex", () => {
  it("runs holders of one key one at a time, in arrival order", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string) =>
      mutex.run("k", async () => {
        log.push(`${name} in`);
        await tick();
        log.push(`${name} out`);
      });
    await Promise.all([job("a"), job("b"), job("c")]);
    expect(log).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  });

  it("lets different keys run at the same time", async () => {
    const mutex = new KeyedMutex();
    let inside = 0;
    let most = 0;
    await Promise.all(
      ["x", "y", "z"].map((key) =>
        mutex.run(key, async () => {
          most = Math.max(most, (inside += 1));
          await tick();
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it("holds every key of runAll; overlapping sets in opposite orders neither deadlock nor overlap", async () => {
    const mutex = new KeyedMutex();
    const holding = new Set<string>();
    const log: string[] = [];
    const job = (name: string, keys: string[]) =>
      mutex.runAll(keys, async () => {
        for (const k of new Set(keys)) {
          expect(holding.has(k)).toBe(false);
          holding.add(k);
        }
        log.push(name);
        await tick();
        for (const k of keys) holding.delete(k);
      });
    await Promise.all([
      job("1", ["a", "b", "c"]),
      job("2", ["c", "b"]),
      job("3", ["d"]),
      job("4", ["b", "a", "a"]),
      job("5", ["c", "d"]),
    ]);
    expect(log.sort()).toEqual(["1", "2", "3", "4", "5"]);
    expect(log.indexOf("1")).toBeLessThan(log.indexOf("2"));
  });

  it("releases the keys when fn throws, and forgets idle keys", async () => {
    const mutex = new KeyedMutex();
    await expect(
      mutex.runAll(["a", "b"], async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await mutex.runAll(["b", "a"], async () => "after")).toBe("after");
  });
});
