import { describe, expect, it } from "vitest";
import { SharedExclusiveLock } from "./SharedExclusiveLock.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("SharedExclusiveLock", () => {
  it("runs shared holders together and an exclusive one alone, in arrival order", async () => {
    const lock = new SharedExclusiveLock();
    const log: string[] = [];
    let active = 0;
    let maxShared = 0;
    const shared = (name: string) =>
      lock.shared(async () => {
        active += 1;
        maxShared = Math.max(maxShared, active);
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
        active -= 1;
      });
    const exclusive = (name: string) =>
      lock.exclusive(async () => {
        expect(active).toBe(0);
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
      });
    await Promise.all([shared("a"), shared("b"), exclusive("E"), shared("c")]);
    expect(maxShared).toBe(2);
    // E waits for a and b; c, arriving after E, waits for E
    expect(log.indexOf("E+")).toBeGreaterThan(Math.max(log.indexOf("a-"), log.indexOf("b-")));
    expect(log.indexOf("c+")).toBeGreaterThan(log.indexOf("E-"));
  });

  it("releases on failure", async () => {
    const lock = new SharedExclusiveLock();
    await expect(lock.exclusive(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.shared(async () => Promise.reject(new Error("bang")))).rejects.toThrow("bang");
    expect(await lock.exclusive(async () => 1)).toBe(1);
  });
});
