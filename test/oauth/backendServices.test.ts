import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_BEARER, assertion, clientKeys, postForm, startHarness } from "./support/oauthHarness.ts";
import type { Harness } from "./support/oauthHarness.ts";

let h: Harness;
let tokenUrl: string;
let es: Awaited<ReturnType<typeof clientKeys>>;
let rs: Awaited<ReturnType<typeof clientKeys>>;

beforeAll(async () => {
  h = await startHarness();
  tokenUrl = `${h.base}/auth/token`;
  es = await clientKeys("ES384");
  rs = await clientKeys("RS384");
  h.server.registerClient({
    clientId: "bulk-es",
    name: "Bulk ES",
    authMethod: "private_key_jwt",
    scopes: ["system/*.rs"],
    jwks: es.jwks,
  });
  h.server.registerClient({
    clientId: "bulk-rs",
    name: "Bulk RS",
    authMethod: "private_key_jwt",
    scopes: ["system/Observation.rs"],
    jwks: rs.jwks,
  });
});
afterAll(() => h.close());

function tokenRequest(fields: Record<string, string>) {
  return postForm(tokenUrl, {
    grant_type: "client_credentials",
    client_assertion_type: JWT_BEARER,
    scope: "system/Observation.rs",
    ...fields,
  });
}

async function oauthError(response: Response, status: number, error: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  return body.error_description;
}

describe("client_credentials with private_key_jwt (SMART Backend Services)", () => {
  for (const [clientId, which] of [
    ["bulk-es", () => es],
    ["bulk-rs", () => rs],
  ] as const) {
    it(`issues an ES256 access token for ${clientId}, verifiable with the published JWKS, that the verifier turns into a system Actor`, async () => {
      const response = await tokenRequest({ client_assertion: await assertion(which(), clientId, tokenUrl) });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("pragma")).toBe("no-cache");
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "system/Observation.rs" });
      expect(body.refresh_token).toBeUndefined();
      const token = String(body.access_token);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", typ: "at+jwt" });
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${h.base}/.well-known/jwks.json`)), {
        issuer: h.base,
        audience: h.base,
      });
      expect(payload).toMatchObject({ sub: clientId, client_id: clientId, scope: "system/Observation.rs" });
      expect(typeof payload.jti).toBe("string");
      const actor = await (await h.whoami(token)).json();
      expect(actor).toMatchObject({
        id: clientId,
        role: "system",
        scopes: ["system/Observation.rs"],
        clientId,
        tokenId: payload.jti,
      });
    });
  }

  it("refuses an unknown grant_type", async () => {
    await oauthError(await postForm(tokenUrl, { grant_type: "password" }), 400, "unsupported_grant_type");
  });

  it("refuses a missing grant_type", async () => {
    await oauthError(await postForm(tokenUrl, {}), 400, "invalid_request");
  });

  it("refuses a wrong client_assertion_type", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl);
    const description = await oauthError(
      await tokenRequest({
        client_assertion,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
      }),
      401,
      "invalid_client",
    );
    expect(description).toContain("client_assertion_type");
  });

  it("refuses an assertion signed by another key", async () => {
    const other = await clientKeys("ES384");
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { key: other.privateKey });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("signature");
  });

  it("refuses an expired assertion", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { expiresIn: -60 });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("expired");
  });

  it("refuses an assertion whose exp is more than five minutes ahead", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { expiresIn: 600 });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("300 seconds");
  });

  it("refuses a replayed assertion (same jti)", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl);
    expect((await tokenRequest({ client_assertion })).status).toBe(200);
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("replay");
  });

  it("refuses an assertion for another audience", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { claims: { aud: `${h.base}/other` } });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("aud");
  });

  it("refuses an assertion whose sub is not its iss", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { claims: { sub: "someone-else" } });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain("sub");
  });

  it("refuses an assertion without jti", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { claims: { jti: undefined } });
    await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client");
  });

  it("refuses an algorithm outside RS384/ES384 (HS256 with a guessable secret)", async () => {
    const secret = new TextEncoder().encode("x".repeat(32));
    const client_assertion = await assertion(es, "bulk-es", tokenUrl, { alg: "HS256", key: secret });
    expect(await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client")).toContain(
      "RS384 or ES384",
    );
  });

  it("refuses an unknown client and a garbage assertion", async () => {
    const client_assertion = await assertion(es, "nobody", tokenUrl);
    await oauthError(await tokenRequest({ client_assertion }), 401, "invalid_client");
    await oauthError(await tokenRequest({ client_assertion: "not.a.jwt" }), 401, "invalid_client");
  });

  it("refuses scopes the client may not hold, and non-system scopes", async () => {
    const s1 = await assertion(rs, "bulk-rs", tokenUrl);
    await oauthError(await tokenRequest({ client_assertion: s1, scope: "system/Patient.rs" }), 400, "invalid_scope");
    const s2 = await assertion(es, "bulk-es", tokenUrl);
    await oauthError(
      await tokenRequest({ client_assertion: s2, scope: "patient/Observation.rs" }),
      400,
      "invalid_scope",
    );
    const s3 = await assertion(es, "bulk-es", tokenUrl);
    await oauthError(await tokenRequest({ client_assertion: s3, scope: "" }), 400, "invalid_scope");
  });

  it("grants only the covered part of what was asked", async () => {
    const client_assertion = await assertion(es, "bulk-es", tokenUrl);
    const response = await tokenRequest({
      client_assertion,
      scope: "system/Observation.rs system/Patient.cruds system/Patient.r",
    });
    expect(((await response.json()) as { scope: string }).scope).toBe("system/Observation.rs system/Patient.r");
  });

  it("refuses a client not registered for client_credentials", async () => {
    h.server.registerClient({
      clientId: "app-jwt",
      name: "App",
      authMethod: "private_key_jwt",
      scopes: ["system/*.rs"],
      jwks: es.jwks,
      grantTypes: ["authorization_code"],
      redirectUris: ["https://app.example/cb"],
    });
    const client_assertion = await assertion(es, "app-jwt", tokenUrl);
    await oauthError(await tokenRequest({ client_assertion }), 400, "unauthorized_client");
  });

  it("refuses a repeated parameter, a JSON body, and a body over the cap", async () => {
    const repeated = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&grant_type=client_credentials",
    });
    expect(await oauthError(repeated, 400, "invalid_request")).toContain("more than once");
    const json = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await oauthError(json, 400, "invalid_request");
    const big = await postForm(tokenUrl, { grant_type: "client_credentials", pad: "x".repeat(20_000) });
    await oauthError(big, 413, "invalid_request");
  });
});

describe("private_key_jwt with a jwks_uri", () => {
  it("fetches the key set, caches it as Cache-Control allows, and fetches again for a new kid", async () => {
    const first = await clientKeys("ES384");
    let served = first.jwks;
    let fetches = 0;
    const jwksServer = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" });
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const own = await startHarness({ remoteJwks: { cooldownMs: 0 } });
    try {
      const uri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
      own.server.registerClient({
        clientId: "remote",
        name: "Remote",
        authMethod: "private_key_jwt",
        scopes: ["system/*.rs"],
        jwksUri: uri,
      });
      const url = `${own.base}/auth/token`;
      const request = async (keys: typeof first) =>
        postForm(url, {
          grant_type: "client_credentials",
          client_assertion_type: JWT_BEARER,
          scope: "system/Observation.rs",
          client_assertion: await assertion(keys, "remote", url),
        });
      for (let i = 0; i < 3; i++) expect((await request(first)).status).toBe(200);
      expect(fetches).toBe(1);
      const second = await clientKeys("ES384");
      served = second.jwks;
      expect((await request(second)).status).toBe(200);
      expect(fetches).toBe(2);
      // an assertion under a kid the client never published: one look, then refused
      const stranger = await clientKeys("ES384");
      expect((await request(stranger)).status).toBe(401);
    } finally {
      await own.close();
      jwksServer.closeAllConnections();
      jwksServer.close();
    }
  });

  it("refuses when the jwks_uri answers too much, too slowly, or not JSON", async () => {
    const keys = await clientKeys("ES384");
    let mode = "big";
    const jwksServer = createServer((_req, res) => {
      if (mode === "big") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: keys.jwks.keys, pad: "x".repeat(100_000) }));
      } else if (mode === "slow") {
        setTimeout(() => res.end(JSON.stringify(keys.jwks)), 1500);
      } else {
        res.end("<html>");
      }
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const slowHarness = await startHarness({ remoteJwks: { timeoutMs: 300 } });
    try {
      const uri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
      slowHarness.server.registerClient({
        clientId: "r",
        name: "R",
        authMethod: "private_key_jwt",
        scopes: ["system/*.rs"],
        jwksUri: uri,
      });
      const url = `${slowHarness.base}/auth/token`;
      for (const [m, why] of [
        ["big", "larger than"],
        ["slow", "timed out"],
        ["html", "not JSON"],
      ]) {
        mode = m!;
        const response = await postForm(url, {
          grant_type: "client_credentials",
          client_assertion_type: JWT_BEARER,
          scope: "system/Observation.rs",
          client_assertion: await assertion(keys, "r", url),
        });
        expect(await oauthError(response, 401, "invalid_client")).toContain(why);
      }
    } finally {
      await slowHarness.close();
      jwksServer.closeAllConnections();
      jwksServer.close();
    }
  });
});
