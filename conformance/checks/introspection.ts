import { decodeJwt } from "jose";
import { authenticateAs, describe, postForm } from "../oauthClient.ts";
import type { ClientAuth, JsonResponse } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import { endpointsOf, scopesOf } from "../SuiteContext.ts";
import type { SuiteContext } from "../SuiteContext.ts";
import type { LaunchResult } from "./launch.ts";

/** RFC 7662 by a confidential client: `token` introspected with the client's own credentials. */
export async function introspect(ctx: SuiteContext, client: ClientAuth, token: string): Promise<JsonResponse> {
  const url = endpointsOf(ctx).introspection;
  if (!url) skip("the SMART configuration names no introspection_endpoint");
  const auth = await authenticateAs(client, url);
  return postForm(url, { token, ...auth.fields }, auth.headers, ctx.config.requestTimeoutMs);
}

/** smart_token_introspection_stu2_2: an active token and an invalid one, by a confidential client. */
export async function introspectionChecks(ctx: SuiteContext, launch: LaunchResult | undefined): Promise<void> {
  const { rec } = ctx;
  const REQ = "smart_token_introspection_request_group";
  const RES = "smart_token_introspection_response_group";
  const token = launch?.token?.access_token as string | undefined;
  let active: JsonResponse | undefined;
  let inactive: JsonResponse | undefined;
  await rec.check(
    `${REQ}-Test01`,
    "Token introspection endpoint returns a response when provided an active token",
    async () => {
      if (!launch || !token) skip("no access token from a confidential client's launch");
      active = await introspect(ctx, launch.client, token);
      expect(active.status === 200, `introspection answered ${describe(active)}`);
    },
  );
  await rec.check(
    `${REQ}-Test02`,
    "Token introspection endpoint returns a response when provided an invalid token",
    async () => {
      if (!launch) skip("no confidential client");
      inactive = await introspect(ctx, launch.client, "not-a-token-0123456789");
      expect(inactive.status === 200, `introspection answered ${describe(inactive)}`);
    },
  );
  await rec.check(`${RES}-Test01`, "Token introspection response for an active token contains required fields", () => {
    if (active?.status !== 200 || !launch?.token) skip("no introspection response for an active token");
    const body = active.body!;
    expect(body.active === true, "active is not true");
    expect(
      scopesOf(body.scope).sort().join(" ") === scopesOf(launch.token.scope).sort().join(" "),
      `scope ${JSON.stringify(body.scope)} is not the token's ${JSON.stringify(launch.token.scope)}`,
    );
    expect(typeof body.exp === "number", "exp is missing");
    if (body.client_id !== undefined)
      expect(
        body.client_id ===
          (launch.client.kind === "asymmetric" ? launch.client.client.clientId : launch.client.clientId),
        "client_id is not the launch's client",
      );
    if (typeof launch.token.patient === "string")
      expect(body.patient === launch.token.patient, "patient is not the token's");
    if (typeof launch.token.id_token === "string") {
      const id = decodeJwt(launch.token.id_token);
      expect(body.iss === id.iss, `iss ${String(body.iss)} is not the id_token's ${String(id.iss)}`);
      expect(body.sub === id.sub, "sub is not the id_token's");
      if (id.fhirUser !== undefined) expect(body.fhirUser === id.fhirUser, "fhirUser is not the id_token's");
    }
  });
  await rec.check(`${RES}-Test02`, "Token introspection response for an invalid token contains required fields", () => {
    if (inactive?.status !== 200) skip("no introspection response for an invalid token");
    expect(inactive.body?.active === false, "active is not false");
    const extra = Object.keys(inactive.body ?? {}).filter((k) => k !== "active");
    expect(extra.length === 0, `an inactive token's answer holds more than active: ${extra.join(", ")}`);
  });
}
