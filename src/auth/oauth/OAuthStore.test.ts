import { describe, expect, it } from "vitest";
import { openOAuthDatabase } from "./oauthDatabase.ts";
import { OAuthStore } from "./OAuthStore.ts";

function store(now: () => number, maxAssertionJtis?: number) {
  return new OAuthStore(openOAuthDatabase(":memory:"), now, maxAssertionJtis === undefined ? {} : { maxAssertionJtis });
}

describe("OAuthStore", () => {
  it("remembers an assertion jti until it expires, per client, and caps how many it holds", () => {
    let now = 1_000_000;
    const s = store(() => now, 3);
    expect(s.rememberAssertion("a", "j1", now + 60_000)).toBe(true);
    expect(s.rememberAssertion("a", "j1", now + 60_000)).toBe(false);
    expect(s.rememberAssertion("b", "j1", now + 60_000)).toBe(true);
    expect(s.rememberAssertion("a", "j2", now + 60_000)).toBe(true);
    expect(() => s.rememberAssertion("a", "j3", now + 60_000)).toThrow(/too many client assertions/);
    now += 61_000;
    // expired ones are swept, making room; an expired jti may not be replayed anyway (its assertion expired)
    expect(s.rememberAssertion("a", "j3", now + 60_000)).toBe(true);
  });

  it("keeps revoked jtis until they expire, then sweeps them", () => {
    let now = 1_000_000;
    const s = store(() => now);
    s.revokeJti("t1", now + 1000);
    expect(s.isRevoked("t1")).toBe(true);
    now += 2000;
    s.revokeJti("t2", now + 1000);
    expect(s.isRevoked("t1")).toBe(false);
    expect(s.isRevoked("t2")).toBe(true);
  });

  it("stores codes, refresh tokens and launches only as hashes", () => {
    const db = openOAuthDatabase(":memory:");
    const s = new OAuthStore(db);
    const launch = s.saveLaunch({ patient: "p1" }, 60_000);
    const code = s.saveCode(
      {
        clientId: "c",
        redirectUri: "https://a/cb",
        codeChallenge: "x",
        scopes: [],
        user: { userId: "u", role: "patient" },
        context: {},
      },
      60_000,
    );
    s.createGrant({
      grantId: "g",
      clientId: "c",
      scopes: ["offline_access"],
      user: { userId: "u", role: "patient" },
      context: {},
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const refresh = s.saveRefreshToken("g", Date.now() + 60_000);
    const dump = JSON.stringify(
      ["codes", "launches", "refresh_tokens"].map((t) => db.prepare(`SELECT * FROM ${t}`).all()),
    );
    for (const secret of [launch, code, refresh]) expect(dump).not.toContain(secret);
    expect(s.launch(launch)).toEqual({ patient: "p1" });
    expect(s.launch(`${launch}x`)).toBeUndefined();
  });

  it("sweeps expired access-token records, refresh tokens and month-old grants as new grants come", () => {
    let now = 1_000_000_000;
    const db = openOAuthDatabase(":memory:");
    const s = new OAuthStore(db, () => now);
    const user = { userId: "u", role: "patient" as const };
    s.createGrant({
      grantId: "g1",
      clientId: "c",
      scopes: [],
      user,
      context: {},
      issuedAt: now,
      expiresAt: now + 3_600_000,
    });
    s.recordAccessToken("j1", "g1", now + 3_600_000);
    const used = s.saveRefreshToken("g1", now + 7_200_000);
    s.useRefreshToken(used);
    const count = (table: string) =>
      Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
    now += 3_700_000;
    s.createGrant({
      grantId: "g2",
      clientId: "c",
      scopes: [],
      user,
      context: {},
      issuedAt: now,
      expiresAt: now + 3_600_000,
    });
    expect(count("access_tokens")).toBe(0);
    // the used refresh token lives on until its expiry, so its reuse is still caught
    expect(count("refresh_tokens")).toBe(1);
    expect(() => s.useRefreshToken(used)).toThrow(/already used/);
    now += 31 * 86_400_000;
    s.createGrant({
      grantId: "g3",
      clientId: "c",
      scopes: [],
      user,
      context: {},
      issuedAt: now,
      expiresAt: now + 3_600_000,
    });
    expect(count("refresh_tokens")).toBe(0);
    expect(count("grants")).toBe(1);
  });
});
