import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { forwardedClientAddress, peerAddress } from "./clientAddress.ts";

async function seen(read: typeof peerAddress, headers: Record<string, string>): Promise<string> {
  const app = new Hono();
  app.get("/", (c) => c.text(read(c)));
  const res = await app.request("/", { headers }, { incoming: { socket: { remoteAddress: "10.0.0.2" } } });
  return res.text();
}

describe("client address for rate limits", () => {
  it("is the socket's peer, whatever X-Forwarded-For claims, when there is no proxy", async () => {
    expect(await seen(peerAddress, { "x-forwarded-for": "203.0.113.9" })).toBe("10.0.0.2");
  });

  it("behind a proxy, is the entry the proxy appended last (a client can forge the earlier ones)", async () => {
    expect(await seen(forwardedClientAddress, { "x-forwarded-for": "1.1.1.1, 203.0.113.9" })).toBe("203.0.113.9");
    expect(await seen(forwardedClientAddress, { "x-forwarded-for": "203.0.113.9" })).toBe("203.0.113.9");
    expect(await seen(forwardedClientAddress, {})).toBe("10.0.0.2");
    expect((await seen(forwardedClientAddress, { "x-forwarded-for": "x".repeat(500) })).length).toBe(64);
  });
});
