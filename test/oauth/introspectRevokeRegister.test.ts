import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize } from "./support/authorizeFlow.ts";
import {
  ADMIN_TOKEN,
  JWT_BEARER,
  REDIRECT,
  assertion,
  basic,
  clientKeys,
  postForm,
  startHarness,
} from "./support/oauthHarness.ts";
import type { Harness } from "./support/oauthHarness.ts";

let h: Harness;
let secret: string;
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  h = await startHarness();
  h.server.registerClient({
    clientId: "pub",
    name: "Public App",
    authMethod: "none",
    redirectUris: [REDIRECT],
    scopes: ["openid", "fhirUser", "offline_access", "patient/*.rs"],
  });
  secret = h.server.registerClient({
    clientId: "rs",
    name: "Resource server",
    authMethod: "client_secret_basic",
    redirectUris: [REDIRECT],
    scopes: ["patient/*.rs"],
  }).clientSecret!;
});
afterAll(() => h.close());

async function userTokens() {
  const { code, verifier } = await authorize(h, {
    clientId: "pub",
    scope: "openid fhirUser offline_access patient/Observation.rs",
  });
  const response = await postForm(`${h.base}/auth/token`, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: "pub",
    code_verifier: verifier,
  });
  return (await response.json()) as { access_token: string; refresh_token: string; id_token: string };
}

const introspect = (token: string, headers: Record<string, string> = basic("rs", secret)) =>
  postForm(`${h.base}/auth/introspect`, { token }, headers);
const revoke = (
  token: string,
  fields: Record<string, string> = { client_id: "pub" },
  headers: Record<string, string> = {},
) => postForm(`${h.base}/auth/revoke`, { token, ...fields }, headers);

describe("introspection (RFC 7662)", () => {
  it("an active access token shows scope, client_id, exp, iat, sub, iss, patient and fhirUser matching the id_token", async () => {
    const tokens = await userTokens();
    const response = await introspect(tokens.access_token);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    const idToken = JSON.parse(Buffer.from(tokens.id_token.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({
      active: true,
      token_type: "Bearer",
      client_id: "pub",
      patient: "p1",
      scope: "openid fhirUser offline_access patient/Observation.rs",
    });
    expect(body.sub).toBe(idToken.sub);
    expect(body.iss).toBe(idToken.iss);
    expect(body.fhirUser).toBe(idToken.fhirUser);
    expect(typeof body.exp).toBe("number");
    expect(typeof body.iat).toBe("number");
  });

  it("an active refresh token, and an administrator may introspect too", async () => {
    const tokens = await userTokens();
    const body = (await (await introspect(tokens.refresh_token, ADMIN)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      active: true,
      token_type: "refresh_token",
      client_id: "pub",
      sub: "u-pat",
      patient: "p1",
    });
  });

  it("any unknown string, a forged or a too-long token is inactive", async () => {
    for (const token of ["", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x".repeat(8192)]) {
      expect(await (await introspect(token)).json()).toEqual({ active: false });
    }
    // past the cap on any parameter it is a plain invalid_request
    const tooLong = await introspect("x".repeat(8193));
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: string }).error).toBe("invalid_request");
  });

  it("refuses a public client, no authentication, a wrong secret and a non-admin bearer token", async () => {
    const tokens = await userTokens();
    for (const headers of [{}, basic("rs", "wrong"), { authorization: `Bearer ${tokens.access_token}` }]) {
      const response = await introspect(tokens.access_token, headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_client");
    }
    const asPublic = await postForm(`${h.base}/auth/introspect`, { token: tokens.access_token, client_id: "pub" });
    expect(asPublic.status).toBe(401);
  });

  it("refuses a request without token", async () => {
    const response = await postForm(`${h.base}/auth/introspect`, {}, basic("rs", secret));
    expect(response.status).toBe(400);
  });
});

describe("revocation (RFC 7009)", () => {
  it("a revoked access token is refused by the verifier from the next request, and is inactive", async () => {
    const tokens = await userTokens();
    expect((await h.whoami(tokens.access_token)).status).toBe(200);
    expect((await revoke(tokens.access_token)).status).toBe(200);
    const refused = await h.whoami(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toContain("revoked");
    expect(await (await introspect(tokens.access_token)).json()).toEqual({ active: false });
  });

  it("revoking a refresh token revokes its family: the refresh token and the access tokens", async () => {
    const tokens = await userTokens();
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    expect((await h.whoami(tokens.access_token)).status).toBe(401);
    const refreshed = await postForm(`${h.base}/auth/token`, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: "pub",
    });
    expect(refreshed.status).toBe(400);
  });

  it("another client's token is left alone; an unknown token is a 200 all the same", async () => {
    const tokens = await userTokens();
    expect((await revoke(tokens.access_token, {}, basic("rs", secret))).status).toBe(200);
    expect((await h.whoami(tokens.access_token)).status).toBe(200);
    expect((await revoke("never-issued")).status).toBe(200);
  });

  it("an administrator revokes anyone's token", async () => {
    const tokens = await userTokens();
    expect((await revoke(tokens.access_token, {}, ADMIN)).status).toBe(200);
    expect((await h.whoami(tokens.access_token)).status).toBe(401);
  });

  it("refuses an unknown client", async () => {
    const response = await revoke("x", { client_id: "nobody" });
    expect(response.status).toBe(401);
  });
});

describe("connected apps", () => {
  it("lists a user's active grants and revokes one, with its tokens; another user's grant cannot be revoked", async () => {
    const tokens = await userTokens();
    const apps = h.server.connectedApps("u-pat");
    const app = apps.find((a) => a.clientId === "pub")!;
    expect(app).toMatchObject({ clientName: "Public App", patient: "p1" });
    expect(app.scopes).toContain("patient/Observation.rs");
    expect(app.issuedAt).toBeInstanceOf(Date);
    const newest = apps[0]!;
    expect(h.server.revokeConnectedApp("u-doc", newest.grantId)).toBe(false);
    expect((await h.whoami(tokens.access_token)).status).toBe(200);
    expect(h.server.revokeConnectedApp("u-pat", newest.grantId)).toBe(true);
    expect((await h.whoami(tokens.access_token)).status).toBe(401);
    expect(h.server.connectedApps("u-pat").map((a) => a.grantId)).not.toContain(newest.grantId);
    expect(h.server.revokeConnectedApp("u-pat", newest.grantId)).toBe(false);
  });
});

describe("client administration", () => {
  it("deleting a client revokes its grants and tokens, and it can no longer authenticate", async () => {
    h.server.registerClient({
      clientId: "doomed",
      name: "Doomed",
      authMethod: "none",
      redirectUris: [REDIRECT],
      scopes: ["offline_access", "patient/*.rs"],
    });
    expect(h.server.listClients().map((c) => c.clientId)).toContain("doomed");
    const { code, verifier } = await authorize(h, {
      clientId: "doomed",
      scope: "offline_access patient/Observation.rs",
    });
    const tokens = (await (
      await postForm(`${h.base}/auth/token`, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: "doomed",
        code_verifier: verifier,
      })
    ).json()) as { access_token: string; refresh_token: string };
    expect(h.server.deleteClient("doomed")).toBe(true);
    expect((await h.whoami(tokens.access_token)).status).toBe(401);
    const refreshed = await postForm(`${h.base}/auth/token`, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: "doomed",
    });
    expect(refreshed.status).toBe(401);
    expect(h.server.listClients().map((c) => c.clientId)).not.toContain("doomed");
  });
});

describe("dynamic registration (RFC 7591)", () => {
  const register = (body: unknown, headers: Record<string, string> = ADMIN) =>
    fetch(`${h.base}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("registers a confidential symmetric client whose secret works once shown", async () => {
    const response = await register({
      client_name: "Reg App",
      redirect_uris: [REDIRECT],
      scope: "patient/*.rs",
      token_endpoint_auth_method: "client_secret_basic",
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { client_id: string; client_secret: string };
    expect(body.client_secret.length).toBeGreaterThan(30);
    const check = await postForm(
      `${h.base}/auth/introspect`,
      { token: "x" },
      basic(body.client_id, body.client_secret),
    );
    expect(check.status).toBe(200);
  });

  it("registers a backend services client with an inline JWKS that then gets tokens", async () => {
    const keys = await clientKeys("RS384");
    const response = await register({
      client_name: "Backend",
      token_endpoint_auth_method: "private_key_jwt",
      grant_types: ["client_credentials"],
      scope: "system/*.rs",
      jwks: keys.jwks,
    });
    expect(response.status).toBe(201);
    const { client_id } = (await response.json()) as { client_id: string };
    const url = `${h.base}/auth/token`;
    const token = await postForm(url, {
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      scope: "system/Patient.rs",
      client_assertion: await assertion(keys, client_id, url),
    });
    expect(token.status).toBe(200);
  });

  it("refuses without an administrator's token", async () => {
    const body = { client_name: "X", redirect_uris: [REDIRECT], scope: "patient/*.rs" };
    for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }, basic("rs", secret)]) {
      const response = await register(body, headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe("invalid_token");
    }
  });

  it("refuses bad metadata with the RFC 7591 error codes", async () => {
    const cases: [unknown, string][] = [
      [{ client_name: "X", redirect_uris: ["http://evil.example/cb"], scope: "patient/*.rs" }, "invalid_redirect_uri"],
      [{ client_name: "X", redirect_uris: [`${REDIRECT}#frag`], scope: "patient/*.rs" }, "invalid_redirect_uri"],
      [
        {
          client_name: "X",
          redirect_uris: Array.from({ length: 11 }, (_, i) => `${REDIRECT}${i}`),
          scope: "patient/*.rs",
        },
        "invalid_redirect_uri",
      ],
      [{ client_name: "X", scope: "patient/*.rs" }, "invalid_redirect_uri"],
      [{ client_name: "X", redirect_uris: [REDIRECT], scope: "made/up" }, "invalid_client_metadata"],
      [{ client_name: "", redirect_uris: [REDIRECT], scope: "patient/*.rs" }, "invalid_client_metadata"],
      [
        {
          client_name: "X",
          token_endpoint_auth_method: "private_key_jwt",
          grant_types: ["client_credentials"],
          scope: "system/*.rs",
        },
        "invalid_client_metadata",
      ],
      [
        {
          client_name: "X",
          token_endpoint_auth_method: "private_key_jwt",
          grant_types: ["client_credentials"],
          scope: "system/*.rs",
          jwks: { keys: [{ kty: "EC", crv: "P-384", x: "a", y: "b", d: "secret" }] },
        },
        "invalid_client_metadata",
      ],
      [
        {
          client_name: "X",
          token_endpoint_auth_method: "none",
          grant_types: ["client_credentials"],
          scope: "system/*.rs",
        },
        "invalid_client_metadata",
      ],
      [
        {
          client_name: "X",
          token_endpoint_auth_method: "client_secret_post",
          redirect_uris: [REDIRECT],
          scope: "patient/*.rs",
        },
        "invalid_client_metadata",
      ],
      [["not", "an", "object"], "invalid_client_metadata"],
      [
        {
          client_name: "X",
          token_endpoint_auth_method: "private_key_jwt",
          grant_types: ["client_credentials"],
          scope: "system/*.rs",
          jwks: { keys: Array.from({ length: 11 }, () => ({ kty: "EC", crv: "P-384", x: "a", y: "b" })) },
        },
        "invalid_client_metadata",
      ],
      [
        {
          client_name: "X",
          redirect_uris: [REDIRECT],
          scope: Array.from(
            { length: 65 },
            (_, i) => `patient/T${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}.rs`,
          ).join(" "),
        },
        "invalid_client_metadata",
      ],
    ];
    for (const [body, error] of cases) {
      const response = await register(body);
      expect(response.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe(error);
    }
    const notJson = await fetch(`${h.base}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...ADMIN },
      body: "{",
    });
    expect(notJson.status).toBe(400);
    const tooBig = await register({ client_name: "x".repeat(70_000) });
    expect(tooBig.status).toBe(413);
  });
});

describe("discovery", () => {
  it("smart-configuration lists the endpoints, S256 only and the capabilities, with CORS", async () => {
    const response = await fetch(`${h.base}/.well-known/smart-configuration`, {
      headers: { origin: "https://app.example" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: h.base,
      jwks_uri: `${h.base}/.well-known/jwks.json`,
      authorization_endpoint: `${h.base}/auth/authorize`,
      token_endpoint: `${h.base}/auth/token`,
      introspection_endpoint: `${h.base}/auth/introspect`,
      revocation_endpoint: `${h.base}/auth/revoke`,
      registration_endpoint: `${h.base}/auth/register`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
    });
    expect(body.capabilities).toEqual(
      expect.arrayContaining([
        "launch-ehr",
        "launch-standalone",
        "client-confidential-asymmetric",
        "permission-v2",
        "sso-openid-connect",
      ]),
    );
    expect(body.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "private_key_jwt"]);
  });

  it("openid-configuration names RS256 for id_tokens, with CORS; preflight is answered", async () => {
    const response = await fetch(`${h.base}/.well-known/openid-configuration`);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(
      ((await response.json()) as { id_token_signing_alg_values_supported: string[] })
        .id_token_signing_alg_values_supported,
    ).toContain("RS256");
    const preflight = await fetch(`${h.base}/auth/token`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("the JWKS holds an ES256 and an RS256 public key with kids, and no private part", async () => {
    const { keys } = (await (await fetch(`${h.base}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    for (const key of keys) {
      expect(typeof key.kid).toBe("string");
      expect(key.d).toBeUndefined();
    }
  });
});
