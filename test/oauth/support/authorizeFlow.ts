/** Drives the authorize endpoint and its pages the way a browser does, with the test session cookie. */
import { REDIRECT, pkce } from "./oauthHarness.ts";
import type { Harness } from "./oauthHarness.ts";

export interface AuthorizeInput {
  clientId: string;
  scope: string;
  user?: "pat" | "doc";
  params?: Record<string, string>;
  redirectUri?: string;
}

export function authorizeUrl(h: Harness, input: AuthorizeInput, challenge: string): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: input.clientId,
    redirect_uri: input.redirectUri ?? REDIRECT,
    scope: input.scope,
    state: "st-123",
    aud: h.base,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...input.params,
  });
  for (const [name, value] of Object.entries(input.params ?? {})) if (value === "") params.delete(name);
  return `${h.base}/auth/authorize?${params}`;
}

export function cookie(user: string): Record<string, string> {
  return { cookie: `session=${user}` };
}

/** The hidden `request` field of a page's form. */
export function requestIdOf(page: string): string {
  const match = /name="request" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no request field in page: ${page.slice(0, 400)}`);
  return match[1]!;
}

export async function decide(h: Harness, user: string, fields: [string, string][]): Promise<Response> {
  return fetch(`${h.base}/auth/authorize/decision`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...cookie(user) },
    body: new URLSearchParams([["csrf", `csrf-${user}`], ...fields]).toString(),
    redirect: "manual",
  });
}

/** Opens the approval page, approves (all scopes, or `ticked`), and returns the code, verifier and where it went. */
export async function authorize(
  h: Harness,
  input: AuthorizeInput,
  options: { ticked?: string[]; patient?: string } = {},
): Promise<{ code: string; verifier: string; location: URL }> {
  const { verifier, challenge } = pkce();
  const user = input.user ?? "pat";
  const page = await fetch(authorizeUrl(h, input, challenge), { headers: cookie(user), redirect: "manual" });
  if (page.status !== 200) throw new Error(`authorize answered ${page.status} ${page.headers.get("location")}`);
  const request = requestIdOf(await page.text());
  if (options.patient !== undefined) {
    const picked = await decide(h, user, [
      ["request", request],
      ["action", "pick"],
      ["patient", options.patient],
    ]);
    if (picked.status !== 200) throw new Error(`pick answered ${picked.status}`);
  }
  const ticked = options.ticked ?? input.scope.split(" ");
  const answer = await decide(h, user, [
    ["request", request],
    ["action", "approve"],
    ...ticked.map((s) => ["scope", s] as [string, string]),
  ]);
  if (answer.status !== 303) throw new Error(`decision answered ${answer.status}: ${await answer.text()}`);
  const location = new URL(answer.headers.get("location")!);
  return { code: location.searchParams.get("code")!, verifier, location };
}
