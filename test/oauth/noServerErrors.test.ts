/** Whatever a client sends to the OAuth endpoints, the answer is an OAuth error or a page, never a 5xx. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIRECT, startHarness } from "./support/oauthHarness.ts";
import type { Harness } from "./support/oauthHarness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.server.registerClient({
    clientId: "pub",
    name: "P",
    authMethod: "none",
    redirectUris: [REDIRECT],
    scopes: ["patient/*.rs", "offline_access"],
  });
});
afterAll(() => h.close());

const NAMES = [
  "grant_type",
  "client_id",
  "code",
  "redirect_uri",
  "code_verifier",
  "refresh_token",
  "scope",
  "client_assertion",
  "client_assertion_type",
  "token",
  "state",
  "aud",
  "response_type",
  "code_challenge",
  "code_challenge_method",
  "launch",
  "client_secret",
];
const CANNED = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "pub",
  REDIRECT,
  "S256",
  "code",
  "eyJhbGciOiJFUzM4NCJ9.e30.x",
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  "",
  "patient/*.rs offline_access",
];

/** fast-check is not installed here: a seeded generator (mulberry32), so a failure repeats. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const text = () => {
    const length = int(30);
    let out = "";
    for (let i = 0; i < length; i++) out += String.fromCharCode(int(3) === 0 ? int(0x2fff) : 32 + int(95));
    return out;
  };
  const value = () => (int(2) === 0 ? CANNED[int(CANNED.length)]! : text());
  const fields = () => {
    const form: Record<string, string> = {};
    for (let i = int(9); i > 0; i--) form[NAMES[int(NAMES.length)]!] = value();
    return form;
  };
  const authorization = () =>
    [undefined, "Basic cHViOg==", "Basic !!!", "Bearer x", "Basic ", `Basic ${Buffer.from(text()).toString("base64")}`][
      int(6)
    ];
  const json = (depth = 0): unknown => {
    const kind = int(depth > 2 ? 4 : 6);
    if (kind === 0) return null;
    if (kind === 1) return int(1000) - 500;
    if (kind === 2) return value();
    if (kind === 3) return int(2) === 0;
    if (kind === 4) return Array.from({ length: int(4) }, () => json(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = int(5); i > 0; i--)
      o[
        int(2) === 0
          ? [
              "patient",
              "encounter",
              "client_name",
              "redirect_uris",
              "scope",
              "jwks",
              "token_endpoint_auth_method",
              "grant_types",
            ][int(8)]!
          : text()
      ] = json(depth + 1);
    return o;
  };
  return { fields, authorization, json };
}

const RUNS = 60;

describe("no 5xx from the OAuth endpoints", () => {
  for (const path of ["/auth/token", "/auth/introspect", "/auth/revoke", "/auth/authorize"]) {
    it(`POST ${path}`, async () => {
      const r = random(path.length);
      for (let run = 0; run < RUNS; run++) {
        const form = r.fields();
        const auth = r.authorization();
        const headers: Record<string, string> = {
          "content-type": "application/x-www-form-urlencoded",
          cookie: "session=pat",
        };
        if (auth !== undefined) headers.authorization = auth;
        const response = await fetch(`${h.base}${path}`, {
          method: "POST",
          headers,
          body: new URLSearchParams(form).toString(),
          redirect: "manual",
        });
        await response.arrayBuffer();
        expect(response.status, JSON.stringify({ form, auth })).toBeLessThan(500);
      }
    });
  }

  it("GET /auth/authorize with any query", async () => {
    const r = random(7);
    for (let run = 0; run < RUNS; run++) {
      const query = r.fields();
      const response = await fetch(`${h.base}/auth/authorize?${new URLSearchParams(query)}`, {
        headers: { cookie: "session=doc" },
        redirect: "manual",
      });
      await response.arrayBuffer();
      expect(response.status, JSON.stringify(query)).toBeLessThan(500);
    }
  });

  it("POST /auth/register and /auth/launch with any JSON", async () => {
    const r = random(11);
    for (let run = 0; run < RUNS * 2; run++) {
      const path = run % 2 === 0 ? "/auth/register" : "/auth/launch";
      const body = r.json();
      const response = await fetch(`${h.base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer admin-token-0123456789abcdef" },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      expect(response.status, JSON.stringify(body)).toBeLessThan(500);
    }
  });
});
