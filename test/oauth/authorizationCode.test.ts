import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize, authorizeUrl, cookie, decide, requestIdOf } from "./support/authorizeFlow.ts";
import { REDIRECT, basic, pkce, postForm, startHarness } from "./support/oauthHarness.ts";
import type { Harness } from "./support/oauthHarness.ts";

let h: Harness;
let tokenUrl: string;
let secret: string;
const PATIENT_SCOPES = "launch/patient openid fhirUser offline_access patient/Observation.rs patient/Patient.rs";

beforeAll(async () => {
  h = await startHarness();
  tokenUrl = `${h.base}/auth/token`;
  h.server.registerClient({
    clientId: "pub",
    name: "Public App",
    authMethod: "none",
    redirectUris: [REDIRECT],
    scopes: [
      "launch",
      "launch/patient",
      "openid",
      "fhirUser",
      "offline_access",
      "online_access",
      "patient/*.rs",
      "user/*.rs",
    ],
  });
  secret = h.server.registerClient({
    clientId: "conf",
    name: "Confidential App",
    authMethod: "client_secret_basic",
    redirectUris: [REDIRECT],
    scopes: ["launch/patient", "openid", "fhirUser", "offline_access", "patient/*.rs"],
  }).clientSecret!;
});
afterAll(() => h.close());

async function exchange(code: string, verifier: string | undefined, extra: Record<string, string> = {}, headers = {}) {
  return postForm(
    tokenUrl,
    {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: "pub",
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
      ...extra,
    },
    headers,
  );
}

async function expectError(response: Response, status: number, error: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  return body.error_description;
}

function location(response: Response): URL {
  return new URL(response.headers.get("location")!);
}

describe("standalone launch, public client, patient user", () => {
  it("gives a code for the state, then tokens with patient context, fhirUser, an RS256 id_token and a refresh token", async () => {
    const { code, verifier, location: back } = await authorize(h, { clientId: "pub", scope: PATIENT_SCOPES });
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("st-123");
    expect(back.searchParams.get("iss")).toBe(h.base);
    const response = await exchange(code, verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      token_type: "Bearer",
      scope: PATIENT_SCOPES,
      patient: "p1",
      fhirContext: [{ reference: "Patient/p1" }],
    });
    expect(typeof body.refresh_token).toBe("string");
    const idToken = String(body.id_token);
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: "RS256" });
    const jwks = createRemoteJWKSet(new URL(`${h.base}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(idToken, jwks, { issuer: h.base, audience: "pub" });
    expect(payload).toMatchObject({ sub: "u-pat", fhirUser: `${h.base}/Patient/p1` });
    const actor = await (await h.whoami(String(body.access_token))).json();
    expect(actor).toMatchObject({
      id: "u-pat",
      role: "patient",
      patient: "p1",
      fhirUser: "Patient/p1",
      clientId: "pub",
    });
  });

  it("without offline_access or online_access there is no refresh token; without openid no id_token", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    const body = (await (await exchange(code, verifier)).json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
    expect(body.scope).toBe("patient/Observation.rs");
  });

  it("a limited grant: the user unticks scopes and the token holds only the rest", async () => {
    const { code, verifier } = await authorize(
      h,
      { clientId: "pub", scope: PATIENT_SCOPES },
      { ticked: ["launch/patient", "patient/Patient.rs"] },
    );
    const body = (await (await exchange(code, verifier)).json()) as Record<string, unknown>;
    expect(body.scope).toBe("launch/patient patient/Patient.rs");
  });
});

describe("PKCE and code refusals", () => {
  it("refuses a missing code_verifier", async () => {
    const { code } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    await expectError(await exchange(code, undefined), 400, "invalid_request");
  });

  it("refuses a blank code_verifier", async () => {
    const { code } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    await expectError(await exchange(code, "   "), 400, "invalid_request");
  });

  it("refuses a wrong code_verifier", async () => {
    const { code } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    expect(await expectError(await exchange(code, pkce().verifier), 400, "invalid_grant")).toContain("code_challenge");
  });

  it("refuses code_challenge_method plain at the authorize endpoint: no code, an error back to the app", async () => {
    const url = authorizeUrl(
      h,
      { clientId: "pub", scope: "patient/Observation.rs", params: { code_challenge_method: "plain" } },
      pkce().challenge,
    );
    const response = await fetch(url, { headers: cookie("pat"), redirect: "manual" });
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get("error")).toBe("invalid_request");
    expect(location(response).searchParams.get("code")).toBeNull();
    expect(location(response).searchParams.get("state")).toBe("st-123");
  });

  it("refuses an authorize request without code_challenge", async () => {
    const url = authorizeUrl(
      h,
      { clientId: "pub", scope: "patient/Observation.rs", params: { code_challenge: "" } },
      "",
    );
    const response = await fetch(url, { headers: cookie("pat"), redirect: "manual" });
    expect(location(response).searchParams.get("error")).toBe("invalid_request");
  });

  it("a code works once; its second use is refused and revokes what the first gave", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "offline_access patient/Observation.rs" });
    const first = (await (await exchange(code, verifier)).json()) as { access_token: string; refresh_token: string };
    expect((await h.whoami(first.access_token)).status).toBe(200);
    await expectError(await exchange(code, verifier), 400, "invalid_grant");
    expect((await h.whoami(first.access_token)).status).toBe(401);
    await expectError(
      await postForm(tokenUrl, { grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: "pub" }),
      400,
      "invalid_grant",
    );
  });

  it("a wrong verifier does not burn the code for the real client", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    await expectError(await exchange(code, pkce().verifier), 400, "invalid_grant");
    expect((await exchange(code, verifier)).status).toBe(200);
  });

  it("refuses a code at another redirect_uri", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    await expectError(
      await exchange(code, verifier, { redirect_uri: "https://app.example/other" }),
      400,
      "invalid_grant",
    );
  });

  it("refuses a code presented by another client", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    const response = await postForm(
      tokenUrl,
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      basic("conf", secret),
    );
    expect(await expectError(response, 400, "invalid_grant")).toContain("another client");
  });

  it("refuses an expired code (60 s)", async () => {
    let now = Date.now();
    const timed = await startHarness({ now: () => now });
    try {
      timed.server.registerClient({
        clientId: "pub",
        name: "P",
        authMethod: "none",
        redirectUris: [REDIRECT],
        scopes: ["patient/*.rs"],
      });
      const { code, verifier } = await authorize(timed, { clientId: "pub", scope: "patient/Observation.rs" });
      now += 61_000;
      const response = await postForm(`${timed.base}/auth/token`, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: "pub",
        code_verifier: verifier,
      });
      expect(await expectError(response, 400, "invalid_grant")).toContain("expired");
    } finally {
      await timed.close();
    }
  });

  it("refuses an unknown code and a confidential client that does not authenticate", async () => {
    await expectError(await exchange("nope", pkce().verifier), 400, "invalid_grant");
    await expectError(await exchange("nope", pkce().verifier, { client_id: "conf" }), 401, "invalid_client");
    const wrongSecret = await postForm(
      tokenUrl,
      { grant_type: "authorization_code", code: "nope", redirect_uri: REDIRECT, code_verifier: pkce().verifier },
      basic("conf", "wrong"),
    );
    await expectError(wrongSecret, 401, "invalid_client");
    expect(wrongSecret.headers.get("www-authenticate")).toContain("Basic");
  });
});

describe("confidential symmetric client", () => {
  it("completes with HTTP Basic", async () => {
    const { code, verifier } = await authorize(h, { clientId: "conf", scope: "launch/patient patient/Observation.rs" });
    const response = await postForm(
      tokenUrl,
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      basic("conf", secret),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { patient: string }).patient).toBe("p1");
  });

  it("refuses client_secret_post", async () => {
    const response = await postForm(tokenUrl, {
      grant_type: "authorization_code",
      code: "x",
      redirect_uri: REDIRECT,
      code_verifier: pkce().verifier,
      client_id: "conf",
      client_secret: secret,
    });
    await expectError(response, 401, "invalid_client");
  });
});

describe("refresh tokens", () => {
  async function tokens(scope = "offline_access patient/Observation.rs patient/Patient.rs") {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope });
    return (await (await exchange(code, verifier)).json()) as {
      access_token: string;
      refresh_token: string;
      scope: string;
    };
  }
  const refresh = (refresh_token: string, extra: Record<string, string> = {}) =>
    postForm(tokenUrl, { grant_type: "refresh_token", refresh_token, client_id: "pub", ...extra });

  it("rotates on every use: a new refresh token, the same grant", async () => {
    const first = await tokens();
    const second = (await (await refresh(first.refresh_token)).json()) as {
      refresh_token: string;
      scope: string;
      patient: string;
    };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe(first.scope);
    expect(second.patient).toBe("p1");
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it("reuse of a used refresh token revokes the whole family", async () => {
    const first = await tokens();
    const second = (await (await refresh(first.refresh_token)).json()) as {
      refresh_token: string;
      access_token: string;
    };
    expect(await expectError(await refresh(first.refresh_token), 400, "invalid_grant")).toContain("already used");
    await expectError(await refresh(second.refresh_token), 400, "invalid_grant");
    expect((await h.whoami(second.access_token)).status).toBe(401);
    expect((await h.whoami(first.access_token)).status).toBe(401);
  });

  it("with scope: a subset only", async () => {
    const first = await tokens();
    const narrowed = await refresh(first.refresh_token, { scope: "patient/Observation.rs" });
    expect(narrowed.status).toBe(200);
    const body = (await narrowed.json()) as { scope: string; refresh_token: string };
    expect(body.scope).toBe("patient/Observation.rs");
    // the next refresh still holds the whole grant
    const full = (await (await refresh(body.refresh_token)).json()) as { scope: string; refresh_token: string };
    expect(full.scope).toBe(first.scope);
    await expectError(
      await refresh(full.refresh_token, { scope: "patient/Observation.rs patient/Condition.rs" }),
      400,
      "invalid_scope",
    );
  });

  it("refuses a refresh token presented by another client, and an unknown one", async () => {
    const first = await tokens();
    await expectError(
      await postForm(
        tokenUrl,
        { grant_type: "refresh_token", refresh_token: first.refresh_token },
        basic("conf", secret),
      ),
      400,
      "invalid_grant",
    );
    await expectError(await refresh("garbage"), 400, "invalid_grant");
  });
});

describe("authorize endpoint refusals", () => {
  const get = (params: Record<string, string>, user = "pat") =>
    fetch(authorizeUrl(h, { clientId: "pub", scope: "patient/Observation.rs", params }, pkce().challenge), {
      headers: cookie(user),
      redirect: "manual",
    });

  it("an unknown client gets an error page, never a redirect", async () => {
    const response = await get({ client_id: "nobody" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("unknown client_id");
  });

  it("a redirect_uri not registered exactly gets an error page, never a redirect", async () => {
    for (const redirect_uri of [`${REDIRECT}/`, "https://evil.example/callback", `${REDIRECT}?x=1`]) {
      const response = await get({ redirect_uri });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
  });

  it("a bogus aud gets no code: an error back to the app", async () => {
    const response = await get({ aud: "https://other.example/fhir" });
    expect(response.status).toBe(302);
    expect(location(response).searchParams.get("error")).toBe("invalid_request");
    expect(location(response).searchParams.get("error_description")).toContain("aud");
    expect(location(response).searchParams.get("code")).toBeNull();
  });

  it("refuses a response_type other than code, a missing state, and scopes the client may not hold", async () => {
    expect(location(await get({ response_type: "token" })).searchParams.get("error")).toBe("unsupported_response_type");
    expect(location(await get({ state: "" })).searchParams.get("error")).toBe("invalid_request");
    expect(location(await get({ scope: "system/Observation.rs" })).searchParams.get("error")).toBe("invalid_scope");
  });

  it("caps what the client controls: state and nonce length, parameter count, decision form size", async () => {
    expect(location(await get({ state: "s".repeat(513) })).searchParams.get("error")).toBe("invalid_request");
    expect(location(await get({ nonce: "n".repeat(513) })).searchParams.get("error")).toBe("invalid_request");
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, "1"]));
    const tooMany = await get(many);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain("at most 32 parameters");
    const request = requestIdOf(await (await get({})).text());
    const fields = Array.from({ length: 101 }, () => ["scope", "patient/Observation.rs"] as [string, string]);
    const big = await decide(h, "pat", [["request", request], ["action", "approve"], ...fields]);
    expect(big.status).toBe(400);
    expect(big.headers.get("location")).toBeNull();
  });

  it("sends a signed-out user to the login page with the request to come back to", async () => {
    const response = await fetch(
      authorizeUrl(h, { clientId: "pub", scope: "patient/Observation.rs" }, pkce().challenge),
      { redirect: "manual" },
    );
    expect(response.status).toBe(302);
    const to = location(new Response(null, { headers: { location: `${h.base}${response.headers.get("location")}` } }));
    expect(to.pathname).toBe("/login");
    const next = to.searchParams.get("next")!;
    expect(next.startsWith("/auth/authorize?")).toBe(true);
    expect(new URLSearchParams(next.split("?")[1]).get("client_id")).toBe("pub");
  });

  it("the approval page names the app and scopes in words, and cannot be framed", async () => {
    const response = await get({});
    expect(response.status).toBe(200);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const page = await response.text();
    expect(page).toContain("Public App");
    expect(page).toContain("read, search Observation records of the patient");
    expect(page).toContain('name="csrf" value="csrf-pat"');
  });

  it("POST authorize works like GET", async () => {
    const { challenge } = pkce();
    const url = new URL(authorizeUrl(h, { clientId: "pub", scope: "patient/Observation.rs" }, challenge));
    const response = await postForm(`${h.base}/auth/authorize`, Object.fromEntries(url.searchParams), cookie("pat"));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Allow");
  });

  it("refuses a decision without the CSRF token, or from another user", async () => {
    const request = requestIdOf(await (await get({})).text());
    const noCsrf = await fetch(`${h.base}/auth/authorize/decision`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...cookie("pat") },
      body: new URLSearchParams({ request, action: "approve", scope: "patient/Observation.rs" }).toString(),
      redirect: "manual",
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.headers.get("location")).toBeNull();
    const other = await decide(h, "doc", [
      ["request", request],
      ["action", "approve"],
    ]);
    expect(other.status).toBe(400);
    expect(other.headers.get("location")).toBeNull();
  });

  it("deny sends access_denied with the state", async () => {
    const request = requestIdOf(await (await get({})).text());
    const response = await decide(h, "pat", [
      ["request", request],
      ["action", "deny"],
    ]);
    expect(response.status).toBe(303);
    expect(location(response).searchParams.get("error")).toBe("access_denied");
    expect(location(response).searchParams.get("state")).toBe("st-123");
  });

  it("refuses approving a scope that was not requested", async () => {
    const request = requestIdOf(await (await get({})).text());
    const response = await decide(h, "pat", [
      ["request", request],
      ["action", "approve"],
      ["scope", "patient/*.rs"],
    ]);
    expect(location(response).searchParams.get("error")).toBe("invalid_scope");
  });
});

describe("launch context", () => {
  it("a practitioner's standalone launch/patient goes through the patient picker", async () => {
    const { challenge, verifier } = pkce();
    const page = await fetch(
      authorizeUrl(h, { clientId: "pub", scope: "launch/patient patient/Observation.rs", user: "doc" }, challenge),
      { headers: cookie("doc") },
    );
    const text = await page.text();
    expect(text).toContain("Choose the patient");
    expect(text).toContain("Bob Baker");
    const request = requestIdOf(text);
    const search = await fetch(`${h.base}/auth/authorize/pick?request=${request}&q=bob`, { headers: cookie("doc") });
    const found = await search.text();
    expect(found).toContain("Bob Baker");
    expect(found).not.toContain("Alice Able");
    // approving before a patient is chosen shows the picker again
    expect(
      await (
        await decide(h, "doc", [
          ["request", request],
          ["action", "approve"],
        ])
      ).text(),
    ).toContain("Choose the patient");
    expect(
      (
        await decide(h, "doc", [
          ["request", request],
          ["action", "pick"],
          ["patient", "nope"],
        ])
      ).status,
    ).toBe(400);
    const picked = await decide(h, "doc", [
      ["request", request],
      ["action", "pick"],
      ["patient", "p2"],
    ]);
    expect(await picked.text()).toContain("Patient/p2");
    const answer = await decide(h, "doc", [
      ["request", request],
      ["action", "approve"],
      ["scope", "launch/patient"],
      ["scope", "patient/Observation.rs"],
    ]);
    const code = location(answer).searchParams.get("code")!;
    const body = (await (await exchange(code, verifier)).json()) as { patient: string; access_token: string };
    expect(body.patient).toBe("p2");
    expect(await (await h.whoami(body.access_token)).json()).toMatchObject({
      role: "practitioner",
      patient: "p2",
      fhirUser: "Practitioner/d1",
    });
  });

  it("an EHR launch binds the patient and encounter created by POST /auth/launch", async () => {
    const created = await fetch(`${h.base}/auth/launch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer admin-token-0123456789abcdef" },
      body: JSON.stringify({ patient: "p2", encounter: "e7" }),
    });
    expect(created.status).toBe(201);
    const { launch } = (await created.json()) as { launch: string };
    const { code, verifier } = await authorize(h, {
      clientId: "pub",
      scope: "launch patient/Observation.rs",
      user: "doc",
      params: { launch },
    });
    const body = (await (await exchange(code, verifier)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      patient: "p2",
      encounter: "e7",
      fhirContext: [{ reference: "Patient/p2" }, { reference: "Encounter/e7" }],
    });
  });

  it("an unknown launch gets no code", async () => {
    const url = authorizeUrl(
      h,
      { clientId: "pub", scope: "launch patient/Observation.rs", params: { launch: "made-up" } },
      pkce().challenge,
    );
    const response = await fetch(url, { headers: cookie("doc"), redirect: "manual" });
    expect(location(response).searchParams.get("error")).toBe("invalid_request");
    expect(location(response).searchParams.get("error_description")).toContain("launch");
  });

  it("a patient cannot be launched into another patient's record, and a patient's token cannot create launches", async () => {
    const { code, verifier } = await authorize(h, { clientId: "pub", scope: "patient/Observation.rs" });
    const patientToken = ((await (await exchange(code, verifier)).json()) as { access_token: string }).access_token;
    const refused = await fetch(`${h.base}/auth/launch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${patientToken}` },
      body: JSON.stringify({ patient: "p2" }),
    });
    expect(refused.status).toBe(403);
    const launch = h.server.createLaunch({ role: "system" }, { patient: "p2" });
    const url = authorizeUrl(
      h,
      { clientId: "pub", scope: "launch patient/Observation.rs", params: { launch } },
      pkce().challenge,
    );
    const response = await fetch(url, { headers: cookie("pat"), redirect: "manual" });
    expect(location(response).searchParams.get("error")).toBe("access_denied");
  });
});
