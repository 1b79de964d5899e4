import { describe, expect, it } from "vitest";
import { RemoteJwksCache, cacheSeconds } from "./RemoteJwksCache.ts";

const JWKS = { keys: [{ kty: "EC", crv: "P-384", x: "a", y: "b" }] };

function fakeFetch(cacheControl: string | null) {
  let calls = 0;
  const fn = (async () => {
    calls++;
    return new Response(JSON.stringify(JWKS), {
      headers: cacheControl === null ? {} : { "cache-control": cacheControl },
    });
  }) as unknown as typeof fetch;
  return { fn, calls: () => calls };
}

describe("RemoteJwksCache", () => {
  it("reads max-age, no-store and no-cache, and caps a day", () => {
    expect(cacheSeconds("public, max-age=120", 300)).toBe(120);
    expect(cacheSeconds("no-store", 300)).toBe(0);
    expect(cacheSeconds("max-age=600, no-cache", 300)).toBe(0);
    expect(cacheSeconds("max-age=99999999", 300)).toBe(86_400);
    expect(cacheSeconds(null, 300)).toBe(300);
  });

  it("keeps a key set for its max-age, then fetches again", async () => {
    let now = 0;
    const f = fakeFetch("max-age=60");
    const cache = new RemoteJwksCache({ fetch: f.fn, now: () => now });
    await cache.get("https://a/jwks");
    now = 59_000;
    await cache.get("https://a/jwks");
    expect(f.calls()).toBe(1);
    now = 61_000;
    await cache.get("https://a/jwks");
    expect(f.calls()).toBe(2);
  });

  it("asks again for a stale set at most once per cooldown, and forgets the least recent past its size", async () => {
    let now = 0;
    const f = fakeFetch("max-age=600");
    const cache = new RemoteJwksCache({ fetch: f.fn, now: () => now, cooldownMs: 10_000, maxEntries: 2 });
    await cache.get("https://a/jwks");
    await cache.get("https://a/jwks", { stale: true });
    expect(f.calls()).toBe(1);
    now = 11_000;
    await cache.get("https://a/jwks", { stale: true });
    expect(f.calls()).toBe(2);
    await cache.get("https://b/jwks");
    await cache.get("https://c/jwks");
    await cache.get("https://a/jwks");
    expect(f.calls()).toBe(5);
  });
});
