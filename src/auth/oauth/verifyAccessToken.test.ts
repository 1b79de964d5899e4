import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import type { JWTPayload } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryKeyStore } from "../../adapters/keys/MemoryKeyStore.ts";
import { TokenKeys } from "./TokenKeys.ts";
import { accessTokenAuthenticator } from "./verifyAccessToken.ts";

const ISS = "https://fhir.example";
let now = Date.now();
let store: MemoryKeyStore;
let keys: TokenKeys;
const revoked = new Set<string>();

function claims(overrides: JWTPayload = {}): JWTPayload {
  const iat = Math.floor(now / 1000);
  return {
    iss: ISS,
    aud: ISS,
    sub: "u1",
    iat,
    exp: iat + 3600,
    jti: `j${Math.random()}`,
    scope: "patient/Observation.rs",
    client_id: "app",
    role: "patient",
    patient: "p1",
    fhirUser: `${ISS}/Patient/p1`,
    ...overrides,
  };
}

function authenticate() {
  return accessTokenAuthenticator({
    keys,
    issuer: ISS,
    audience: ISS,
    isRevoked: (jti) => revoked.has(jti),
    now: () => now,
  });
}

async function refused(token: string): Promise<string> {
  const error = await authenticate()(`Bearer ${token}`).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  expect(error?.code).toBe("unauthorized");
  return error!.message;
}

beforeEach(async () => {
  now = Date.now();
  store = new MemoryKeyStore();
  keys = await TokenKeys.load(store, { maxTokenSeconds: 3660, now: () => now });
  revoked.clear();
});

describe("accessTokenAuthenticator", () => {
  it("turns a good token into an Actor with the token's context", async () => {
    const c = claims();
    const actor = await authenticate()(`Bearer ${await keys.sign("ES256", c, "at+jwt")}`);
    expect(actor).toEqual({
      id: "u1",
      role: "patient",
      scopes: ["patient/Observation.rs"],
      clientId: "app",
      tokenId: c.jti,
      patient: "p1",
      fhirUser: "Patient/p1",
    });
  });

  it("refuses our own RS256 id_token key (algorithm allow-list), and a token without typ at+jwt", async () => {
    await refused(await keys.sign("RS256", claims(), "at+jwt"));
    await refused(await keys.sign("ES256", claims()));
  });

  it("refuses HS256 and a key that is not ours under our kid", async () => {
    const kid = (keys.jwks().keys.find((k) => k.alg === "ES256") as { kid: string }).kid;
    await refused(
      await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" }).sign(new Uint8Array(32)),
    );
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await refused(
      await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(privateKey),
    );
  });

  it("refuses another issuer, another audience, a missing jti and a role it does not know", async () => {
    await refused(await keys.sign("ES256", claims({ iss: "https://evil.example" }), "at+jwt"));
    await refused(await keys.sign("ES256", claims({ aud: "https://other.example/fhir" }), "at+jwt"));
    await refused(await keys.sign("ES256", claims({ jti: undefined }), "at+jwt"));
    await refused(await keys.sign("ES256", claims({ role: "root" }), "at+jwt"));
  });

  it("accepts a token just past exp within the leeway, refuses one past it", async () => {
    const iat = Math.floor(now / 1000) - 3600;
    expect(
      (await authenticate()(`Bearer ${await keys.sign("ES256", claims({ iat, exp: iat + 3595 }), "at+jwt")}`)).id,
    ).toBe("u1");
    expect(await refused(await keys.sign("ES256", claims({ iat, exp: iat + 3580 }), "at+jwt"))).toContain("expired");
  });

  it("refuses a revoked token even after it was verified and cached, and a cached one once expired", async () => {
    const c = claims();
    const token = await keys.sign("ES256", c, "at+jwt");
    const auth = authenticate();
    await auth(`Bearer ${token}`);
    revoked.add(String(c.jti));
    await expect(auth(`Bearer ${token}`)).rejects.toThrow(/revoked/);
    revoked.clear();
    now += 3700_000;
    await expect(auth(`Bearer ${token}`)).rejects.toThrow(/expired/);
  });

  it("remembers at most cacheSize tokens: an evicted one is verified again (and still refused once revoked)", async () => {
    const verified: string[] = [];
    const counting = {
      keys,
      issuer: ISS,
      audience: ISS,
      isRevoked: (jti: string) => {
        verified.push(jti);
        return revoked.has(jti);
      },
      cacheSize: 2,
      now: () => now,
    };
    const auth = accessTokenAuthenticator(counting);
    const tokens = await Promise.all([1, 2, 3].map(() => keys.sign("ES256", claims(), "at+jwt")));
    for (const t of tokens) await auth(`Bearer ${t}`);
    for (const t of tokens) await auth(`Bearer ${t}`);
    // each call checks revocation once, cached or not: 6 calls
    expect(verified).toHaveLength(6);
    const first = JSON.parse(Buffer.from(tokens[0]!.split(".")[1]!, "base64url").toString()).jti as string;
    revoked.add(first);
    await expect(auth(`Bearer ${tokens[0]}`)).rejects.toThrow(/revoked/);
  });

  it("refuses a missing or malformed Authorization header", async () => {
    for (const header of [undefined, "", "Basic abc", "Bearer", "Bearer a b"]) {
      await expect(authenticate()(header)).rejects.toMatchObject({ code: "unauthorized" });
    }
  });

  it("after a signing key rotation, tokens of the old key verify until they expire; then its kid leaves the JWKS", async () => {
    const old = await keys.sign("ES256", claims(), "at+jwt");
    await store.rotateSigningKey("ES256");
    await keys.reload();
    expect(keys.jwks().keys.filter((k) => k.alg === "ES256")).toHaveLength(2);
    expect((await authenticate()(`Bearer ${old}`)).id).toBe("u1");
    const fresh = await keys.sign("ES256", claims(), "at+jwt");
    expect(JSON.parse(Buffer.from(fresh.split(".")[0]!, "base64url").toString()).kid).not.toBe(
      JSON.parse(Buffer.from(old.split(".")[0]!, "base64url").toString()).kid,
    );
    now += 3661_000;
    await keys.reload();
    expect(keys.jwks().keys.filter((k) => k.alg === "ES256")).toHaveLength(1);
  });
});
