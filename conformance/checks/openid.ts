import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import type { JSONWebKeySet, JWTPayload } from "jose";
import { clientIdOf, getJson } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import { fhirGet } from "../SuiteContext.ts";
import type { SuiteContext } from "../SuiteContext.ts";
import type { LaunchResult } from "./launch.ts";

const G = "smart_openid_connect_stu2_2";
const ORIGIN = "https://conformance.invalid";
const FHIR_USER = /^(?:(.+)\/)?(Patient|Practitioner|RelatedPerson|Person)\/([A-Za-z0-9\-.]{1,64})$/;

/** OpenID Connect: the id_token decodes, verifies against the JWKS, names iss/aud/exp, and fhirUser resolves. */
export async function openidChecks(ctx: SuiteContext, tag: string, launch: LaunchResult): Promise<void> {
  const { rec, config } = ctx;
  const idToken = launch.token?.id_token;
  const accessToken = launch.token?.access_token as string | undefined;
  let payload: JWTPayload | undefined;
  let oidc: Record<string, unknown> | undefined;
  let jwks: JSONWebKeySet | undefined;
  await rec.check(`${G}-smart_openid_decode_id_token${tag}`, "OpenID Connect token is a decodable JWT", () => {
    if (!launch.token) skip("no token response from the launch");
    expect(typeof idToken === "string", "the token response has no id_token");
    payload = decodeJwt(idToken);
  });
  await rec.check(
    `${G}-smart_openid_retrieve_configuration${tag}`,
    "OpenID Connect well-known configuration can be retrieved",
    async () => {
      if (!payload) skip("no id_token");
      expect(typeof payload.iss === "string", "the id_token has no iss");
      const url = `${payload.iss.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      const response = await getJson(url, { accept: "application/json" }, config.requestTimeoutMs);
      expect(response.status === 200 && response.body, `GET ${url} answered HTTP ${response.status}`);
      oidc = response.body;
    },
  );
  await rec.check(
    `${G}-smart_openid_required_configuration_fields${tag}`,
    "OpenID Connect configuration contains required fields",
    () => {
      if (!oidc) skip("no OpenID configuration");
      for (const f of ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"])
        expect(typeof oidc[f] === "string", `${f} is missing`);
      for (const f of ["response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"])
        expect(Array.isArray(oidc[f]), `${f} is missing or not an array`);
      expect(
        (oidc.id_token_signing_alg_values_supported as unknown[]).includes("RS256"),
        "RS256 is not among the id_token algorithms",
      );
      expect(
        oidc.issuer === payload?.iss,
        `the configuration's issuer ${String(oidc.issuer)} is not the id_token's iss`,
      );
    },
  );
  await rec.check(`${G}-smart_openid_retrieve_jwks${tag}`, "JWKS can be retrieved", async () => {
    if (!oidc || typeof oidc.jwks_uri !== "string") skip("no jwks_uri");
    const response = await getJson(oidc.jwks_uri, { accept: "application/json" }, config.requestTimeoutMs);
    expect(
      response.status === 200 && Array.isArray(response.body?.keys),
      `GET jwks_uri answered HTTP ${response.status}, no keys`,
    );
    jwks = response.body as unknown as JSONWebKeySet;
    expect(
      jwks.keys.some((k) => k.kty === "RSA"),
      "the JWKS holds no RSA key for RS256",
    );
  });
  await rec.check(`${G}-smart_openid_token_header${tag}`, "ID token header contains required information", () => {
    if (typeof idToken !== "string" || !jwks) skip("no id_token or JWKS");
    const header = decodeProtectedHeader(idToken);
    expect(header.alg === "RS256", `the id_token's alg is ${header.alg}, not RS256`);
    if (header.kid !== undefined)
      expect(
        jwks.keys.some((k) => k.kid === header.kid),
        `no key with kid ${header.kid} in the JWKS`,
      );
    else
      expect(
        jwks.keys.filter((k) => k.kty === "RSA").length === 1,
        "the id_token has no kid and the JWKS holds several RSA keys",
      );
  });
  await rec.check(
    `${G}-smart_openid_token_payload${tag}`,
    "ID token payload has required claims and a valid signature",
    async () => {
      if (typeof idToken !== "string" || !jwks || !oidc) skip("no id_token, JWKS or configuration");
      const verified = await jwtVerify(idToken, createLocalJWKSet(jwks), {
        issuer: String(oidc.issuer),
        audience: clientIdOf(launch.client),
        algorithms: ["RS256"],
      });
      for (const claim of ["sub", "exp", "iat"])
        expect(verified.payload[claim] !== undefined, `the id_token has no ${claim}`);
    },
  );
  let fhirUserUrl: string | undefined;
  await rec.check(
    `${G}-smart_openid_fhir_user_claim${tag}`,
    "FHIR resource representing the current user can be retrieved",
    async () => {
      if (!payload || !accessToken) skip("no id_token or access token");
      const claim = payload.fhirUser;
      expect(typeof claim === "string", "the id_token has no fhirUser claim (fhirUser was asked for)");
      const match = FHIR_USER.exec(claim);
      expect(match, `fhirUser ${claim} is not a Patient, Practitioner, RelatedPerson or Person reference`);
      fhirUserUrl = /^https?:\/\//.test(claim) ? claim : `${config.fhirBaseUrl}/${claim}`;
      const response = await getJson(fhirUserUrl, { authorization: `Bearer ${accessToken}` }, config.requestTimeoutMs);
      expect(response.status === 200, `GET fhirUser answered HTTP ${response.status}`);
      expect(response.body?.resourceType === match[2], `fhirUser resolved to a ${String(response.body?.resourceType)}`);
    },
  );
  if (launch.client.kind === "public")
    await rec.check(
      `${G}-smart_cors_openid_fhir_user_claim${tag}`,
      "SMART FHIR User REST API Endpoint supports CORS",
      async () => {
        if (!fhirUserUrl || !accessToken) skip("fhirUser did not resolve");
        const path = fhirUserUrl.startsWith(config.fhirBaseUrl)
          ? fhirUserUrl.slice(config.fhirBaseUrl.length)
          : undefined;
        if (path === undefined) skip("fhirUser is on another server");
        const response = await fhirGet(ctx, path, accessToken, { origin: ORIGIN });
        expect(response.status === 200, `GET fhirUser with an Origin answered HTTP ${response.status}`);
        const allowed = response.headers.get("access-control-allow-origin");
        expect(allowed === "*" || allowed === ORIGIN, `Access-Control-Allow-Origin is ${allowed}, not * or the origin`);
      },
    );
}
