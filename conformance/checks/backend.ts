import { exportJWK, generateKeyPair } from "jose";
import type { BackendClient } from "../config.ts";
import { JWT_BEARER, clientAssertion, describe, postForm } from "../oauthClient.ts";
import type { JsonResponse } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import { endpointsOf, fhirGet, scopesOf } from "../SuiteContext.ts";
import type { SuiteContext } from "../SuiteContext.ts";

const G = "backend_services_authorization";

function expectError(response: JsonResponse, statuses: number[], codes: string[]): void {
  expect(statuses.includes(response.status), `expected HTTP ${statuses.join(" or ")}, got ${describe(response)}`);
  const error = response.body?.error;
  expect(
    typeof error === "string" && codes.includes(error),
    `expected error ${codes.join(" or ")}, got ${describe(response)}`,
  );
}

/** Backend Services (client_credentials + private_key_jwt) for one client key, and its refusals. */
export async function backendChecks(ctx: SuiteContext, client: BackendClient): Promise<void> {
  const { rec, config } = ctx;
  const tag = `@${String(client.privateJwk.alg ?? "RS384")}`;
  const scope = client.scope ?? "system/Patient.rs";
  const token = () => endpointsOf(ctx).token;
  const post = (fields: Record<string, string>) => postForm(token(), fields, {}, config.requestTimeoutMs);
  const good = async (claims: Record<string, unknown> = {}, expiresIn?: number) => ({
    grant_type: "client_credentials",
    scope,
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(client, token(), claims, expiresIn),
  });
  await rec.check(
    `${G}-smart_backend_services_invalid_grant_type${tag}`,
    "Authorization request fails when client supplies invalid grant_type",
    async () => {
      expectError(
        await post({ ...(await good()), grant_type: "not_a_grant_type" }),
        [400],
        ["unsupported_grant_type", "invalid_request"],
      );
    },
  );
  await rec.check(
    `${G}-smart_backend_services_invalid_client_assertion${tag}`,
    "Authorization request fails when supplied invalid client_assertion_type",
    async () => {
      expectError(
        await post({ ...(await good()), client_assertion_type: "not_an_assertion_type" }),
        [400, 401],
        ["invalid_client", "invalid_request"],
      );
    },
  );
  await rec.check(
    `${G}-smart_backend_services_invalid_jwt${tag}`,
    "Authorization request fails when client supplies invalid JWT token",
    async () => {
      // Signed by a key the server does not know for this client.
      const { privateKey } = await generateKeyPair(String(client.privateJwk.alg ?? "RS384"), { extractable: true });
      const stranger = {
        ...client,
        privateJwk: { ...(await exportJWK(privateKey)), kid: client.privateJwk.kid, alg: client.privateJwk.alg },
      };
      const fields = { ...(await good()), client_assertion: await clientAssertion(stranger, token()) };
      expectError(await post(fields), [400, 401], ["invalid_client", "invalid_grant"]);
    },
  );
  // Beyond Inferno's three refusals (issue 17): an expired assertion and a replayed one.
  await rec.check(
    `fhirledger_backend-expired_assertion${tag}`,
    "Authorization request fails when the client assertion has expired",
    async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await clientAssertion(client, token(), { iat: now - 600 }, -300);
      expectError(
        await post({ ...(await good()), client_assertion: expired }),
        [400, 401],
        ["invalid_client", "invalid_grant"],
      );
    },
  );
  let response: JsonResponse | undefined;
  let replay: Record<string, string> | undefined;
  await rec.check(
    `${G}-smart_backend_services_auth_request_success${tag}`,
    "Authorization request succeeds when supplied correct information",
    async () => {
      replay = await good();
      response = await post(replay);
      expect(response.status === 200, `client_credentials answered ${describe(response)}`);
    },
  );
  await rec.check(
    `fhirledger_backend-replayed_assertion${tag}`,
    "Authorization request fails when the client assertion's jti is replayed",
    async () => {
      if (!replay) skip("no accepted assertion to replay");
      expectError(await post(replay), [400, 401], ["invalid_client", "invalid_grant"]);
    },
  );
  await rec.check(
    `${G}-smart_backend_services_auth_response_body${tag}`,
    "Authorization request response body contains required information",
    async () => {
      if (response?.status !== 200) skip("no token response");
      const body = response.body!;
      expect(typeof body.access_token === "string", "access_token is missing");
      expect(typeof body.token_type === "string" && /^bearer$/i.test(body.token_type), "token_type is not Bearer");
      expect(typeof body.expires_in === "number" && body.expires_in <= 300 + 3600, "expires_in is missing or too long");
      expect(scopesOf(body.scope).length > 0, "scope is missing");
      expect(body.refresh_token === undefined, "client_credentials must not give a refresh token");
      if (config.patientId) {
        const read = await fhirGet(ctx, `Patient/${config.patientId}`, body.access_token as string);
        expect(read.status === 200, `reading Patient/${config.patientId} with the token answered ${describe(read)}`);
      }
    },
  );
}
