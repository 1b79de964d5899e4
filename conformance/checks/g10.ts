import { authenticateAs, describe, postForm } from "../oauthClient.ts";
import type { ClientAuth, JsonResponse } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import {
  endpointsOf,
  exchangeCode,
  expectCode,
  fhirGet,
  resourceTypeOf,
  runAuthorize,
  scopesOf,
} from "../SuiteContext.ts";
import type { Launch, SuiteContext } from "../SuiteContext.ts";
import { refresh } from "./launch.ts";

function snake(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** An OAuth error answer with one of `codes`, a 4xx status, and no tokens. */
function expectRefused(response: JsonResponse, codes: string[]): void {
  expect(response.status >= 400 && response.status < 500, `expected a 4xx refusal, got ${describe(response)}`);
  expect(response.body?.access_token === undefined, "an access token came back");
  const error = response.body?.error;
  expect(
    typeof error === "string" && codes.includes(error),
    `expected error ${codes.join(" or ")}, got ${describe(response)}`,
  );
}

/** ONC (g)(10) authorization checks (unauthorized access, invalid aud, token request, PKCE, limited grant, revocation, v1, granular v2). */
export async function g10Checks(ctx: SuiteContext, client: ClientAuth | undefined) {
  const { rec, config } = ctx;
  const patient = config.patientId;

  await rec.check("g10_unauthorized_access", "Server rejects unauthorized access", async () => {
    if (!patient) skip("no patientId in the config");
    const response = await fhirGet(ctx, `Patient/${patient}`, undefined);
    expect(response.status === 401, `GET Patient/${patient} without a token answered HTTP ${response.status}, not 401`);
  });
  if (!client) {
    rec.skip("g10_smart_invalid_aud", "Invalid AUD Parameter", "no public client in the config");
    return;
  }

  const codeFor = async (scope = "launch/patient patient/Patient.rs"): Promise<Launch> => {
    const launch = await runAuthorize(ctx, client, scope, { user: "patient" });
    expectCode(launch);
    return launch;
  };

  await rec.check("g10_smart_invalid_aud", "Invalid AUD Parameter: the app does not receive a code", async () => {
    const launch = await runAuthorize(ctx, client, "launch/patient patient/Patient.rs", {
      user: "patient",
      params: { aud: "https://not-this-server.invalid/fhir" },
      instruction:
        "The aud parameter is wrong: the server should refuse (no code); close the window if it shows an error.",
    });
    expect(!launch.code, "the server gave a code for an authorize request with a bogus aud");
  });

  const T = "g10_smart_invalid_token_request_stu2";
  await rec.check(`${T}-Test03`, "OAuth token exchange fails when supplied invalid code", async () => {
    const launch = await codeFor();
    expectRefused(await exchangeCode(ctx, launch, { code: `${launch.code}x` }), ["invalid_grant", "invalid_request"]);
  });
  await rec.check(`${T}-Test04`, "OAuth token exchange fails when supplied invalid client ID", async () => {
    const launch = await codeFor();
    const response = await exchangeCode(ctx, launch, {
      client: { kind: "public", clientId: "no-such-client-conformance" },
    });
    expectRefused(response, ["invalid_client", "invalid_grant", "invalid_request"]);
  });

  const P = "g10_smart_invalid_pkce_code_verifier_group";
  const verifiers: [string, string, (l: Launch) => string | undefined][] = [
    ["smart_no_verifier_token_request", "OAuth token exchange fails when no code_verifier is given", () => undefined],
    ["smart_blank_verifier_token_request", "OAuth token exchange fails when code_verifier is blank", () => ""],
    [
      "smart_bad_code_verifier_token_request",
      "OAuth token exchange fails when code_verifier is incorrect",
      (l) => `${l.verifier.slice(0, -4)}AAAA`,
    ],
    [
      "smart_plain_code_verifier_token_request",
      "OAuth token exchange fails when code_verifier matches code_challenge",
      (l) => l.challenge,
    ],
  ];
  for (const [id, title, verifier] of verifiers)
    await rec.check(`${P}-${id}`, title, async () => {
      const launch = await codeFor();
      expectRefused(await exchangeCode(ctx, launch, { verifier: verifier(launch) }), [
        "invalid_grant",
        "invalid_request",
      ]);
    });

  // ---- limited scope grant, restricted resource type access, revocation (one limited launch) ----
  const requested = config.scopes.standalone;
  const keep = (scope: string) => {
    const type = resourceTypeOf(scope);
    return type === undefined || config.scopes.limitedTypes.includes(type);
  };
  let limited: Record<string, unknown> | undefined;
  await rec.check(
    "g10_smart_limited_app-g10_limited_scope_grant",
    "OAuth token exchange response grants scope that is limited to those selected by user",
    async () => {
      const launch = await runAuthorize(ctx, client, requested, {
        user: "patient",
        keepScope: keep,
        instruction: `Untick every resource scope except those of ${config.scopes.limitedTypes.join(", ")}.`,
      });
      expectCode(launch);
      const response = await exchangeCode(ctx, launch);
      expect(response.status === 200, `the token request answered ${describe(response)}`);
      limited = response.body;
      const granted = scopesOf(limited?.scope);
      const unexpected = granted.filter((s) => !keep(s));
      expect(unexpected.length === 0, `scopes the user unticked were granted: ${unexpected.join(" ")}`);
      for (const type of config.scopes.limitedTypes)
        expect(
          granted.some((s) => resourceTypeOf(s) === type),
          `no ${type} scope was granted though the user kept it`,
        );
    },
  );
  const types = [...config.scopes.limitedTypes, ...config.scopes.restrictedTypes];
  for (const type of types)
    await rec.check(
      `g10_restricted_resource_type_access-g10_${snake(type)}_restricted_access`,
      `Access to ${type} resources is restricted properly based on patient-selected scope`,
      async () => {
        const token = limited?.access_token as string | undefined;
        if (!token) skip("no token from the limited launch");
        const path = type === "Patient" ? `Patient/${patient}` : `${type}?patient=${encodeURIComponent(patient)}`;
        const response = await fhirGet(ctx, path, token);
        if (config.scopes.limitedTypes.includes(type))
          expect(response.status === 200, `${type} was granted but GET ${path} answered ${describe(response)}`);
        else
          expect(
            response.status === 403 || response.status === 401,
            `${type} was not granted but GET ${path} answered HTTP ${response.status}, not 403`,
          );
      },
    );

  const R = "g10_token_revocation";
  const revocation = () => endpointsOf(ctx).revocation;
  let revoked = false;
  await rec.check(`${R}-Test01`, "The server revokes the app's tokens on request (RFC 7009)", async () => {
    const refreshToken = limited?.refresh_token as string | undefined;
    if (!refreshToken) skip("no refresh token from the limited launch");
    const url = revocation();
    if (!url) skip("the SMART configuration names no revocation_endpoint");
    const auth = await authenticateAs(client, url);
    const response = await postForm(
      url,
      { token: refreshToken, ...auth.fields },
      auth.headers,
      config.requestTimeoutMs,
    );
    expect(response.status === 200, `revocation answered ${describe(response)}`);
    revoked = true;
  });
  await rec.check(`${R}-Test02`, "Access to Patient resource returns unauthorized after token revocation", async () => {
    if (!revoked) skip("no token was revoked");
    const response = await fhirGet(ctx, `Patient/${patient}`, limited?.access_token as string);
    expect(
      response.status === 401,
      `GET Patient/${patient} with the revoked grant's access token answered HTTP ${response.status}, not 401`,
    );
  });
  await rec.check(`${R}-Test03`, "Token refresh fails after token revocation", async () => {
    if (!revoked) skip("no token was revoked");
    expectRefused(await refresh(ctx, client, limited?.refresh_token as string), ["invalid_grant"]);
  });

  // ---- SMART v1 scopes ----
  let v1: Record<string, unknown> | undefined;
  await rec.check(
    "g10_smart_v1_scopes-g10_smart_scopes",
    "Patient-level access with SMART v1 scopes is granted",
    async () => {
      const launch = await runAuthorize(ctx, client, config.scopes.v1, { user: "patient" });
      expectCode(launch);
      const response = await exchangeCode(ctx, launch);
      expect(response.status === 200, `the token request answered ${describe(response)}`);
      v1 = response.body;
      const granted = scopesOf(v1?.scope);
      const v1Resources = scopesOf(config.scopes.v1).filter((s) => resourceTypeOf(s));
      for (const s of v1Resources) expect(granted.includes(s), `v1 scope ${s} was not granted as asked`);
    },
  );
  await rec.check(
    "g10_smart_v1_scopes-g10_patient_context",
    "OAuth token exchange response body contains patient context and patient resource can be retrieved",
    async () => {
      if (!v1) skip("no v1 token");
      expect(v1.patient === patient, `patient is ${String(v1.patient)}, not ${patient}`);
      const response = await fhirGet(ctx, `Patient/${patient}`, v1.access_token as string);
      expect(response.status === 200, `GET Patient/${patient} with the v1 token answered ${describe(response)}`);
    },
  );

  // ---- granular v2 scopes ----
  const GS = "g10_smart_granular_scope_selection-g10_granular_scope_selection_v2_2_scopes";
  let granular: Record<string, unknown> | undefined;
  const granularAsked = scopesOf(config.scopes.granular).filter((s) => s.includes("?"));
  await rec.check(
    `${GS}-g10_smart_granular_scope_selection`,
    "Granular scope selection: the granular v2 scopes are granted as asked",
    async () => {
      if (granularAsked.length === 0) skip("scopes.granular has no granular (…?param=value) scope");
      const launch = await runAuthorize(ctx, client, config.scopes.granular, { user: "patient" });
      expectCode(launch);
      const response = await exchangeCode(ctx, launch);
      expect(response.status === 200, `the token request answered ${describe(response)}`);
      granular = response.body;
      const granted = scopesOf(granular?.scope);
      for (const s of granularAsked) expect(granted.includes(s), `granular scope ${s} was not granted`);
    },
  );
  await rec.check(
    `${GS}-granular_scope_access`,
    "Searches under a granular scope return only what it covers",
    async () => {
      const token = granular?.access_token as string | undefined;
      if (!token) skip("no granular token");
      for (const scope of granularAsked) {
        const type = resourceTypeOf(scope)!;
        const query = new URLSearchParams(scope.slice(scope.indexOf("?") + 1));
        const [name, value] = [...query][0]!;
        const allowed = await fhirGet(
          ctx,
          `${type}?patient=${encodeURIComponent(patient)}&${name}=${encodeURIComponent(value)}`,
          token,
        );
        expect(allowed.status === 200, `${type}?${name}=${value} under its own scope answered ${describe(allowed)}`);
        const wide = await fhirGet(ctx, `${type}?patient=${encodeURIComponent(patient)}`, token);
        if (wide.status === 403) continue;
        expect(wide.status === 200, `${type}?patient= answered ${describe(wide)}`);
        const code = value.includes("|") ? value.slice(value.indexOf("|") + 1) : value;
        const entries =
          (wide.body?.entry as { resource?: Record<string, unknown>; search?: { mode?: string } }[] | undefined) ?? [];
        const leaked = entries.filter(
          (e) =>
            e.resource?.resourceType === type &&
            e.search?.mode !== "outcome" &&
            !JSON.stringify(e.resource[name] ?? "").includes(`"${code}"`),
        );
        expect(
          leaked.length === 0,
          `${leaked.length} ${type} outside ${name}=${value} came back under the granular scope`,
        );
      }
    },
  );
}
