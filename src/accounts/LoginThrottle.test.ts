import { describe, expect, it } from "vitest";
import { BackoffLimiter } from "./BackoffLimiter.ts";
import { ACCOUNT_BACKOFF, LoginThrottle } from "./LoginThrottle.ts";

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("login rate limits", () => {
  it("after 5 failures an account waits 1 s, then 2 s, 4 s … from each further failure, up to 15 minutes", () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 5; i++) {
      expect(throttle.retryAfterMs("alice", `10.0.0.${i}`)).toBe(0);
      throttle.failed("alice", `10.0.0.${i}`);
    }
    expect(throttle.retryAfterMs("ALICE ", "10.0.0.9")).toBe(1000); // the same account whatever the case
    c.advance(400);
    expect(throttle.retryAfterMs("alice", "10.0.0.9")).toBe(600);
    c.advance(600);
    expect(throttle.retryAfterMs("alice", "10.0.0.9")).toBe(0);
    c.advance(1000);
    throttle.failed("alice", "10.0.0.9");
    expect(throttle.retryAfterMs("alice", "10.0.0.9")).toBe(2000);
    for (let i = 0; i < 20; i++) throttle.failed("alice", "10.0.0.9");
    expect(throttle.retryAfterMs("alice", "10.0.0.10")).toBe(ACCOUNT_BACKOFF.maxDelayMs);
    expect(throttle.retryAfterMs("bob", "10.0.0.10")).toBe(0); // another account, another address
  });

  it("a success clears the account's failures; an hour without failure forgets them", () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 5; i++) throttle.failed("alice", "a");
    expect(throttle.retryAfterMs("alice", "b")).toBeGreaterThan(0);
    throttle.succeeded("alice");
    expect(throttle.retryAfterMs("alice", "b")).toBe(0);
    for (let i = 0; i < 7; i++) throttle.failed("bob", "c");
    c.advance(3600_000);
    expect(throttle.retryAfterMs("bob", "d")).toBe(0);
  });

  it("an address trying many accounts waits after 20 failures, whatever accounts it tries", () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 19; i++) throttle.failed(`user${i}`, "203.0.113.7");
    expect(throttle.retryAfterMs("someone-new", "203.0.113.7")).toBe(0);
    throttle.failed("user19", "203.0.113.7");
    expect(throttle.retryAfterMs("someone-new", "203.0.113.7")).toBe(1000);
    expect(throttle.retryAfterMs("someone-new", "198.51.100.1")).toBe(0);
  });

  it("remembers a bounded number of keys, forgetting the least recently failed", () => {
    const c = clock();
    const limiter = new BackoffLimiter({ ...ACCOUNT_BACKOFF, freeFailures: 1, maxKeys: 100 }, c.now);
    for (let i = 0; i < 1000; i++) limiter.fail(`k${i}`);
    expect(limiter.size).toBe(100);
    expect(limiter.retryAfterMs("k999")).toBeGreaterThan(0);
    expect(limiter.retryAfterMs("k0")).toBe(0);
  });
});
