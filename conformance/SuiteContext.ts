import type { ConformanceConfig } from "./config.ts";
import type { AuthorizationDriver, AuthorizeOptions, AuthorizeOutcome } from "./drivers.ts";
import { authenticateAs, clientIdOf, getJson, pkce, postForm, randomState } from "./oauthClient.ts";
import type { ClientAuth, JsonResponse } from "./oauthClient.ts";
import type { Recorder } from "./report.ts";
import { expect, skip } from "./report.ts";

/** The server's endpoints, from its .well-known/smart-configuration (or guessed when discovery failed). */
export interface Endpoints {
  issuer: string;
  authorize: string;
  token: string;
  introspection?: string;
  revocation?: string;
  jwksUri?: string;
}

/** What every group of checks shares. */
export interface SuiteContext {
  config: ConformanceConfig;
  rec: Recorder;
  driver: AuthorizationDriver | undefined;
  endpoints: Endpoints | undefined;
  print(line: string): void;
}

/** A finished authorize trip and the values the token request needs. */
export interface Launch {
  client: ClientAuth;
  scope: string;
  state: string;
  verifier: string;
  challenge: string;
  outcome: AuthorizeOutcome;
  /** The code, when the redirect carried one. */
  code?: string;
}

export function endpointsOf(ctx: SuiteContext): Endpoints {
  if (!ctx.endpoints)
    skip("the SMART configuration could not be read (see smart_discovery_stu2_2-well_known_endpoint)");
  return ctx.endpoints;
}

export function driverOf(ctx: SuiteContext): AuthorizationDriver {
  if (!ctx.driver) skip("no way to take a user through the authorize step (no user credentials in the config)");
  return ctx.driver;
}

/** Builds the authorize URL; `params` override or (with "") drop parameters. */
export function authorizeUrl(
  ctx: SuiteContext,
  client: ClientAuth,
  scope: string,
  state: string,
  challenge: string,
  params: Record<string, string> = {},
): string {
  const url = new URL(endpointsOf(ctx).authorize);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientIdOf(client),
    redirect_uri: ctx.config.redirectUri,
    scope,
    state,
    aud: ctx.config.fhirBaseUrl,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  });
  for (const [name, value] of Object.entries(params)) if (value === "") query.delete(name);
  for (const [name, value] of query) url.searchParams.set(name, value);
  return url.toString();
}

/** Takes the user through the authorize endpoint; the code (if any) is in the result. */
export async function runAuthorize(
  ctx: SuiteContext,
  client: ClientAuth,
  scope: string,
  options: AuthorizeOptions & { params?: Record<string, string> },
): Promise<Launch> {
  const driver = driverOf(ctx);
  const { verifier, challenge } = pkce();
  const state = randomState();
  const outcome = await driver.authorize(authorizeUrl(ctx, client, scope, state, challenge, options.params), {
    patientId: ctx.config.patientId,
    ...options,
  });
  const code = outcome.redirect?.searchParams.get("code") ?? undefined;
  return { client, scope, state, verifier, challenge, outcome, ...(code ? { code } : {}) };
}

/** The redirect checks of a launch (state echoed, no error, a code). */
export function expectCode(launch: Launch): string {
  const redirect = launch.outcome.redirect;
  expect(redirect, `no redirect to the app: ${launch.outcome.stopped ?? "unknown"}`);
  const error = redirect.searchParams.get("error");
  expect(
    error === null,
    `the redirect carries error=${error} (${redirect.searchParams.get("error_description") ?? ""})`,
  );
  expect(
    redirect.searchParams.get("state") === launch.state,
    `state came back as ${JSON.stringify(redirect.searchParams.get("state"))}, not the one sent`,
  );
  expect(launch.code, "the redirect carries no code");
  return launch.code;
}

/** POSTs the authorization_code grant; `verifier` undefined leaves code_verifier out. */
export async function exchangeCode(
  ctx: SuiteContext,
  launch: Launch,
  overrides: { verifier?: string | undefined; code?: string; client?: ClientAuth } = {},
): Promise<JsonResponse> {
  const token = endpointsOf(ctx).token;
  const client = overrides.client ?? launch.client;
  const auth = await authenticateAs(client, token);
  const verifier = "verifier" in overrides ? overrides.verifier : launch.verifier;
  return postForm(
    token,
    {
      grant_type: "authorization_code",
      code: overrides.code ?? launch.code ?? "",
      redirect_uri: ctx.config.redirectUri,
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
      ...auth.fields,
    },
    auth.headers,
    ctx.config.requestTimeoutMs,
  );
}

/** GET a FHIR path under the base with a bearer token (or none). */
export function fhirGet(
  ctx: SuiteContext,
  path: string,
  token: string | undefined,
  headers: Record<string, string> = {},
) {
  return getJson(
    `${ctx.config.fhirBaseUrl}/${path.replace(/^\/+/, "")}`,
    { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    ctx.config.requestTimeoutMs,
  );
}

export function scopesOf(text: unknown): string[] {
  return typeof text === "string" ? text.split(" ").filter((s) => s !== "") : [];
}

/** `patient/Observation.rs?category=…` → "Observation"; undefined for scopes that are not about resources. */
export function resourceTypeOf(scope: string): string | undefined {
  return /^(?:patient|user|system)\/([A-Za-z*]+)\./.exec(scope)?.[1];
}
