import { getJson } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import type { SuiteContext } from "../SuiteContext.ts";

const G = "smart_discovery_stu2_2";
const ORIGIN = "https://conformance.invalid";

/** SMART App Launch 2.2 discovery: .well-known/smart-configuration, its fields, CORS on it and on /metadata. */
export async function discoveryChecks(ctx: SuiteContext): Promise<void> {
  const { config, rec } = ctx;
  const url = `${config.fhirBaseUrl}/.well-known/smart-configuration`;
  let doc: Record<string, unknown> | undefined;
  await rec.check(`${G}-well_known_endpoint`, "Retrieve Configuration from well-known endpoint", async () => {
    const response = await getJson(url, { accept: "application/json" }, config.requestTimeoutMs);
    expect(response.status === 200, `GET ${url} answered HTTP ${response.status}`);
    expect(
      /^application\/json/.test(response.headers.get("content-type") ?? ""),
      `content-type is ${response.headers.get("content-type")}, not application/json`,
    );
    expect(response.body, "the body is not a JSON object");
    doc = response.body;
    for (const field of ["authorization_endpoint", "token_endpoint"])
      expect(typeof doc[field] === "string" && URL.canParse(doc[field]), `${field} is missing or not a URL`);
    ctx.endpoints = {
      issuer: typeof doc.issuer === "string" ? doc.issuer : config.fhirBaseUrl,
      authorize: String(doc.authorization_endpoint),
      token: String(doc.token_endpoint),
      ...(typeof doc.introspection_endpoint === "string" ? { introspection: doc.introspection_endpoint } : {}),
      ...(typeof doc.revocation_endpoint === "string" ? { revocation: doc.revocation_endpoint } : {}),
      ...(typeof doc.jwks_uri === "string" ? { jwksUri: doc.jwks_uri } : {}),
    };
  });
  await rec.check(`${G}-well_known_capabilities_stu2`, "Well-known configuration contains required fields", () => {
    if (!doc) skip("no well-known configuration was read");
    const arrays = ["capabilities", "grant_types_supported", "code_challenge_methods_supported"];
    for (const field of arrays) expect(Array.isArray(doc[field]), `${field} is missing or not an array`);
    for (const field of ["issuer", "jwks_uri"])
      expect(
        typeof doc[field] === "string",
        `${field} is required by SMART 2.2 (sso-openid-connect, asymmetric clients)`,
      );
    const grants = doc.grant_types_supported as unknown[];
    expect(grants.includes("authorization_code"), "grant_types_supported lacks authorization_code");
    const methods = doc.code_challenge_methods_supported as unknown[];
    expect(methods.includes("S256"), "code_challenge_methods_supported lacks S256");
    expect(!methods.includes("plain"), "code_challenge_methods_supported must not include plain");
    const capabilities = doc.capabilities as unknown[];
    for (const c of capabilities) expect(typeof c === "string", "every capability is a string");
  });
  await rec.check(`${G}-smart_cors_well_known_endpoint`, "SMART .well-known configuration supports CORS", async () => {
    const response = await getJson(url, { origin: ORIGIN }, config.requestTimeoutMs);
    expect(response.status === 200, `GET ${url} with an Origin answered HTTP ${response.status}`);
    const allowed = response.headers.get("access-control-allow-origin");
    expect(allowed === "*" || allowed === ORIGIN, `Access-Control-Allow-Origin is ${allowed}, not * or the origin`);
  });
  await rec.check(
    `${G}-smart_cors_metadata_request`,
    "SMART metadata (CapabilityStatement) supports CORS",
    async () => {
      const response = await getJson(`${config.fhirBaseUrl}/metadata`, { origin: ORIGIN }, config.requestTimeoutMs);
      expect(response.status === 200, `GET /metadata answered HTTP ${response.status}`);
      const allowed = response.headers.get("access-control-allow-origin");
      expect(allowed === "*" || allowed === ORIGIN, `Access-Control-Allow-Origin is ${allowed}, not * or the origin`);
    },
  );
}
