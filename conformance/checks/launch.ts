import { authenticateAs, describe, postForm } from "../oauthClient.ts";
import type { ClientAuth, JsonResponse } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import type { Launch, SuiteContext } from "../SuiteContext.ts";
import { endpointsOf, exchangeCode, expectCode, runAuthorize, scopesOf } from "../SuiteContext.ts";

/** What a launch group hands on to the OpenID, refresh and introspection groups. */
export interface LaunchResult {
  client: ClientAuth;
  scope: string;
  token?: Record<string, unknown>;
  /** The patient the launch was about (EHR launch: from the launch context). */
  patient?: string;
}

/** The token-response body checks shared by both launches (smart_token_response_body_stu2_2). */
export function checkTokenBody(body: Record<string, unknown> | undefined, patient?: string): void {
  expect(body, "the token response is not a JSON object");
  expect(typeof body.access_token === "string" && body.access_token.length > 0, "access_token is missing");
  expect(typeof body.token_type === "string" && /^bearer$/i.test(body.token_type), "token_type is not Bearer");
  expect(typeof body.expires_in === "number" && body.expires_in > 0, "expires_in is missing or not a positive number");
  expect(typeof body.scope === "string", "scope is missing");
  // As Inferno: what was granted may differ from what was asked (the user may untick); the
  // limited-scope check (g10_limited_scope_grant) holds the server to the user's choice.
  const granted = scopesOf(body.scope);
  if (granted.includes("launch/patient") || granted.includes("launch")) {
    expect(typeof body.patient === "string" && body.patient.length > 0, "patient context is missing");
    if (patient) expect(body.patient === patient, `patient is ${String(body.patient)}, not ${patient}`);
  }
  if (body.fhirContext !== undefined) {
    expect(Array.isArray(body.fhirContext), "fhirContext is not an array");
    for (const item of body.fhirContext as unknown[])
      expect(
        typeof item === "object" &&
          item !== null &&
          ["reference", "canonical", "identifier"].some((k) => k in (item as Record<string, unknown>)),
        "each fhirContext item has a reference, canonical or identifier",
      );
  }
  if (granted.includes("openid")) expect(typeof body.id_token === "string", "openid was granted but no id_token came");
  if (granted.includes("offline_access") || granted.includes("online_access"))
    expect(typeof body.refresh_token === "string", "offline_access was granted but no refresh_token came");
}

/** RFC 6749 §5.1: the token response is not cached. */
export function checkNoStore(response: JsonResponse): void {
  const cache = response.headers.get("cache-control") ?? "";
  expect(/no-store/i.test(cache), `Cache-Control is ${JSON.stringify(cache)}, not no-store`);
  const pragma = response.headers.get("pragma") ?? "";
  expect(/no-cache/i.test(pragma), `Pragma is ${JSON.stringify(pragma)}, not no-cache`);
}

/** The authorize, code and token-exchange steps of one launch, each a check under `prefix` and `tag`. */
async function launchSteps(
  ctx: SuiteContext,
  prefix: string,
  tag: string,
  client: ClientAuth,
  scope: string,
  options: { user: "patient" | "practitioner"; params?: Record<string, string>; patient?: string },
): Promise<LaunchResult> {
  const { rec } = ctx;
  const result: LaunchResult = { client, scope, ...(options.patient ? { patient: options.patient } : {}) };
  let launch: Launch | undefined;
  let code: string | undefined;
  let exchange: JsonResponse | undefined;
  await rec.check(
    `${prefix}-smart_app_redirect_stu2${tag}`,
    "Authorization request redirects back to the app",
    async () => {
      launch = await runAuthorize(ctx, client, scope, {
        user: options.user,
        ...(options.params ? { params: options.params } : {}),
      });
      expect(launch.outcome.redirect, `no redirect to the app: ${launch.outcome.stopped ?? "unknown"}`);
    },
  );
  await rec.check(`${prefix}-smart_code_received${tag}`, "Authorization code received, state echoed", () => {
    if (!launch?.outcome.redirect) skip("the authorization request did not come back");
    code = expectCode(launch);
  });
  await rec.check(`${prefix}-smart_token_exchange_stu2_2${tag}`, "OAuth token exchange request succeeds", async () => {
    if (!launch || code === undefined) skip("no authorization code");
    exchange = await exchangeCode(ctx, launch);
    expect(exchange.status === 200, `the token request answered ${describe(exchange)}`);
    result.token = exchange.body;
  });
  await rec.check(
    `${prefix}-smart_token_response_body_stu2_2${tag}`,
    "Token exchange response body contains required information",
    () => {
      if (exchange?.status !== 200) skip("no token response");
      checkTokenBody(exchange.body, options.patient ?? ctx.config.patientId);
      if (result.token && typeof result.token.patient === "string") result.patient = result.token.patient;
    },
  );
  await rec.check(
    `${prefix}-smart_token_response_headers${tag}`,
    "Response includes correct HTTP Cache-Control and Pragma headers",
    () => {
      if (!exchange) skip("no token response");
      checkNoStore(exchange);
    },
  );
  if (client.kind === "public")
    await rec.check(
      `${prefix}-smart_cors_token_exchange${tag}`,
      "SMART token exchange response supports CORS (public client)",
      () => {
        if (!exchange) skip("no token response");
        const allowed = exchange.headers.get("access-control-allow-origin");
        expect(allowed !== null, "the token response has no Access-Control-Allow-Origin");
      },
    );
  return result;
}

/** smart_standalone_launch_stu2_2 for one client (public, symmetric or asymmetric), as the patient user. */
export function standaloneLaunch(ctx: SuiteContext, tag: string, client: ClientAuth): Promise<LaunchResult> {
  return launchSteps(ctx, "smart_standalone_launch_stu2_2", tag, client, ctx.config.scopes.standalone, {
    user: "patient",
  });
}

/** smart_ehr_launch_stu2_2: the EHR creates a launch for the patient; the practitioner approves. */
export async function ehrLaunch(ctx: SuiteContext, tag: string, client: ClientAuth): Promise<LaunchResult> {
  const { rec, config } = ctx;
  const G = "smart_ehr_launch_stu2_2";
  let launch: string | undefined;
  await rec.check(`${G}-smart_app_launch${tag}`, "EHR server sends launch parameter", async () => {
    if (config.ehrLaunch?.launch) {
      launch = config.ehrLaunch.launch;
      return;
    }
    if (!config.ehrLaunch?.launchToken)
      skip("no ehrLaunch.launch or ehrLaunch.launchToken in the config to start an EHR launch with");
    const response = await fetch(`${endpointsOf(ctx).issuer}/auth/launch`, {
      method: "POST",
      headers: { authorization: `Bearer ${config.ehrLaunch.launchToken}`, "content-type": "application/json" },
      body: JSON.stringify({ patient: config.patientId }),
      signal: AbortSignal.timeout(config.requestTimeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { launch?: unknown };
    expect(
      response.status === 201 && typeof body.launch === "string",
      `POST /auth/launch answered HTTP ${response.status}`,
    );
    launch = body.launch;
  });
  await rec.check(`${G}-smart_launch_received${tag}`, "EHR launch received (launch and iss)", () => {
    if (!launch) skip("no launch value");
    expect(launch.length > 0 && launch.length <= 1024, "the launch value is empty or too long");
  });
  if (!launch) {
    rec.skip(`${G}-smart_token_exchange_stu2_2${tag}`, "OAuth token exchange request succeeds", "no launch value");
    return { client, scope: config.scopes.ehr };
  }
  return launchSteps(ctx, G, tag, client, config.scopes.ehr, {
    user: "practitioner",
    params: { launch },
    patient: config.patientId,
  });
}

/** POSTs the refresh_token grant as `client`, with or without `scope`. */
export async function refresh(
  ctx: SuiteContext,
  client: ClientAuth,
  refreshToken: string,
  scope?: string,
): Promise<JsonResponse> {
  const token = endpointsOf(ctx).token;
  const auth = await authenticateAs(client, token);
  return postForm(
    token,
    { grant_type: "refresh_token", refresh_token: refreshToken, ...(scope ? { scope } : {}), ...auth.fields },
    auth.headers,
    ctx.config.requestTimeoutMs,
  );
}
