import { describe } from "../oauthClient.ts";
import type { JsonResponse } from "../oauthClient.ts";
import { expect, skip } from "../report.ts";
import { resourceTypeOf, scopesOf } from "../SuiteContext.ts";
import type { SuiteContext } from "../SuiteContext.ts";
import { checkNoStore, refresh } from "./launch.ts";
import type { LaunchResult } from "./launch.ts";

/** Both refresh groups of a launch (smart_<launch>_refresh_without_scopes / _with_scopes). */
export async function refreshChecks(
  ctx: SuiteContext,
  launchName: "standalone" | "ehr",
  tag: string,
  launch: LaunchResult,
) {
  const { rec } = ctx;
  let refreshToken = launch.token?.refresh_token as string | undefined;
  const granted = scopesOf(launch.token?.scope);
  for (const withScopes of [false, true]) {
    const G = `smart_${launchName}_refresh_${withScopes ? "with" : "without"}_scopes`;
    // With scopes: ask for a strict subset (one resource scope fewer), which must be what comes back.
    const resources = granted.filter((s) => resourceTypeOf(s) !== undefined);
    const subset = withScopes ? granted.filter((s) => s !== resources[resources.length - 1]).join(" ") : undefined;
    let response: JsonResponse | undefined;
    await rec.check(
      `${G}-smart_token_refresh_stu2${tag}`,
      `Server successfully refreshes the access token ${withScopes ? "with a narrower scope" : "when optional scope parameter omitted"}`,
      async () => {
        if (!refreshToken) skip("the launch gave no refresh token");
        response = await refresh(ctx, launch.client, refreshToken, subset);
        expect(response.status === 200, `the refresh answered ${describe(response)}`);
        if (typeof response.body?.refresh_token === "string") refreshToken = response.body.refresh_token;
      },
    );
    await rec.check(
      `${G}-smart_token_refresh_body${tag}`,
      "Token refresh response contains all required fields",
      () => {
        if (response?.status !== 200) skip("no refresh response");
        const body = response.body!;
        expect(typeof body.access_token === "string", "access_token is missing");
        expect(typeof body.token_type === "string" && /^bearer$/i.test(body.token_type), "token_type is not Bearer");
        expect(typeof body.expires_in === "number", "expires_in is missing");
        const scope = scopesOf(body.scope);
        const expected = subset === undefined ? granted : scopesOf(subset);
        expect(
          scope.length === expected.length && expected.every((s) => scope.includes(s)),
          `scope is ${JSON.stringify(body.scope)}, not ${JSON.stringify(expected.join(" "))}`,
        );
      },
    );
    await rec.check(
      `${G}-smart_token_response_headers${tag}`,
      "Response includes correct HTTP Cache-Control and Pragma headers",
      () => {
        if (!response) skip("no refresh response");
        checkNoStore(response);
      },
    );
  }
}
