import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Authenticator } from "../Actor.ts";
import { devTokenAuthenticator } from "../devTokenAuthenticator.ts";
import { externalOidcAuthenticator } from "./externalOidcAuthenticator.ts";
import { firstAuthenticator } from "./firstAuthenticator.ts";

const ISSUER = "https://idp.hospital.example";
let server: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let fetches = 0;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "idp-1", alg: "RS256" };
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(() => server.close());

let authenticate: Authenticator;
beforeAll(() => {
  authenticate = externalOidcAuthenticator({
    issuer: ISSUER,
    jwksUrl,
    audience: "fhirledger",
    roleClaim: "groups",
    roleMap: { "fhir-admins": "admin", clinicians: "practitioner" },
  });
});

async function token(claims: JWTPayload, options: { key?: CryptoKey; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: "fhirledger",
    sub: "alice",
    iat: now,
    exp: now + 300,
    groups: ["clinicians"],
    scope: "user/*.rs openid",
    ...claims,
  })
    .setProtectedHeader({ alg: options.alg ?? "RS256", kid: "idp-1" })
    .sign(options.key ?? privateKey);
}

describe("externalOidcAuthenticator", () => {
  it("maps a provider's token to an Actor by its groups claim, fetching the JWKS once", async () => {
    expect(await authenticate(`Bearer ${await token({ fhirUser: "Practitioner/9" })}`)).toEqual({
      id: "alice",
      role: "practitioner",
      scopes: ["user/*.rs", "openid"],
      fhirUser: "Practitioner/9",
    });
    await authenticate(`Bearer ${await token({ groups: ["fhir-admins", "clinicians"] })}`).then((a) =>
      expect(a.role).toBe("admin"),
    );
    expect(fetches).toBe(1);
  });

  it("refuses a user whose claims map to no role", async () => {
    await expect(authenticate(`Bearer ${await token({ groups: ["cafeteria"] })}`)).rejects.toThrow(/no role/);
    await expect(authenticate(`Bearer ${await token({ groups: undefined })}`)).rejects.toThrow(/no role/);
  });

  it("refuses another issuer, another audience, an expired token and a foreign key", async () => {
    await expect(authenticate(`Bearer ${await token({ iss: "https://evil.example" })}`)).rejects.toMatchObject({
      code: "unauthorized",
    });
    await expect(authenticate(`Bearer ${await token({ aud: "another-app" })}`)).rejects.toMatchObject({
      code: "unauthorized",
    });
    const past = Math.floor(Date.now() / 1000) - 600;
    await expect(authenticate(`Bearer ${await token({ iat: past, exp: past + 60 })}`)).rejects.toThrow(/expired/);
    const foreign = (await generateKeyPair("RS256")).privateKey;
    await expect(authenticate(`Bearer ${await token({}, { key: foreign })}`)).rejects.toMatchObject({
      code: "unauthorized",
    });
  });

  it("behind firstAuthenticator, the development token still works and garbage is refused", async () => {
    const any = firstAuthenticator([authenticate, devTokenAuthenticator("dev-token-0123456789")]);
    expect((await any("Bearer dev-token-0123456789")).role).toBe("system");
    expect((await any(`Bearer ${await token({})}`)).role).toBe("practitioner");
    await expect(any("Bearer nope")).rejects.toMatchObject({ code: "unauthorized" });
  });
});
