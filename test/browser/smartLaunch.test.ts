import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  ADMIN,
  DESKTOP,
  GOOD_PASSWORD,
  PHONE,
  authorizeUrl,
  describeInBrowser,
  fillSignIn,
  launchChromium,
  pkce,
  permitPractitioner,
  registerPatient,
  registerPublicApp,
  screenshot,
  seen,
  signIn,
  signOut,
  startAppListener,
  startBrowserServer,
} from "./support/browserHarness.ts";
import type { AppListener, BrowserServer } from "./support/browserHarness.ts";

const SCOPE = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs";

describeInBrowser("SMART standalone launch in a real browser", () => {
  let browser: Browser;
  let fl: BrowserServer;
  let app: AppListener;
  let clientId: string;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    [browser, fl, app] = await Promise.all([launchChromium(), startBrowserServer(), startAppListener()]);
    clientId = await registerPublicApp(fl.server, "Sleep Diary", app.redirectUri, SCOPE);
    // The patient has an account (registered earlier, signed out since).
    const page = await newPage();
    await registerPatient(page, fl.base, {
      given: "Mary",
      family: "Shelley",
      username: "mary.s",
      email: "mary@example.org",
    });
    await signOut(page);
    await page.context().close();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fl?.close();
  });

  it("authorize → sign in → approve → code and state at the app → token → FHIR read; disconnecting on /apps makes the token fail with 401", async () => {
    const page = await newPage();
    const { verifier, challenge } = pkce();
    const state = "st-7f3a";
    const url = authorizeUrl(fl.base, { clientId, redirectUri: app.redirectUri, scope: SCOPE, state, challenge });

    // Not signed in: the authorize endpoint sends the browser to sign in first.
    await page.goto(url);
    expect(new URL(page.url()).pathname).toBe("/login");
    await fillSignIn(page, "mary.s", GOOD_PASSWORD);

    // Back at the authorize endpoint, which shows the approval page.
    expect(new URL(page.url()).pathname).toBe("/auth/authorize");
    await expect(seen(page.getByRole("heading", { level: 1 }))).resolves.toBe("Allow Sleep Diary to use your records?");
    // The header says who is signed in, as on every other page, and offers to sign out.
    await expect(seen(page.getByRole("navigation"))).resolves.toContain("Sign out mary.s");
    const main = await seen(page.locator("main"));
    expect(main).toMatch(/Patient: Mary Shelley/);
    for (const words of [
      "Know which patient was chosen",
      "Know who you are (OpenID Connect)",
      "Know which FHIR record is you",
      "read, search Patient records of the patient",
      "read, search Observation records of the patient",
    ])
      expect(main).toContain(words);
    // Each scope can be unticked, and each box is labelled with the scope in words.
    await expect(page.getByRole("checkbox", { name: /Observation records of the patient/ }).isChecked()).resolves.toBe(
      true,
    );
    await screenshot(page, "launch-approval-patient", "desktop");
    await page.setViewportSize(PHONE);
    await screenshot(page, "launch-approval-patient", "phone");
    await page.setViewportSize(DESKTOP);

    const answer = app.nextCallback();
    await page.getByRole("button", { name: "Allow" }).click();
    const query = await answer;
    await page.waitForURL(`${app.redirectUri}?**`);
    await expect(seen(page.locator("h1"))).resolves.toBe("The app received the answer");
    expect(query.get("state")).toBe(state);
    expect(query.get("iss")).toBe(fl.base);
    const code = query.get("code");
    expect(code).toBeTruthy();

    const tokenResponse = await fetch(`${fl.base}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: code!,
        redirect_uri: app.redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    expect(tokenResponse.status).toBe(200);
    const token = (await tokenResponse.json()) as { access_token: string; patient: string; scope: string };
    expect(token.scope).toBe(SCOPE);
    const read = () =>
      fetch(`${fl.base}/Patient/${token.patient}`, {
        headers: { authorization: `Bearer ${token.access_token}`, accept: "application/fhir+json" },
      });
    const patient = await read();
    expect(patient.status).toBe(200);
    expect(await patient.json()).toMatchObject({ resourceType: "Patient", name: [{ family: "Shelley" }] });

    // The patient sees the app among their connected apps and disconnects it.
    await page.goto(`${fl.base}/apps`);
    const table = page.getByRole("table", { name: "Apps with access" });
    const row = await seen(table);
    expect(row).toContain("Sleep Diary");
    expect(row).toContain("Read and search Observation records of the selected patient");
    await page.getByRole("button", { name: "Disconnect Sleep Diary" }).click();
    await page.waitForURL(`${fl.base}/apps?notice=revoked`);
    await expect(seen(page.getByRole("status"))).resolves.toBe("The app is disconnected: its tokens no longer work.");
    await expect(seen(page.locator("main"))).resolves.toContain("No app holds access you approved.");

    const refused = await read();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ resourceType: "OperationOutcome" });
  });

  it("a practitioner's standalone launch: searches and picks the patient, unticks a scope, and the token holds that patient and the rest", async () => {
    await fl.server.putAll([
      { resourceType: "Practitioner", id: "doc-1", name: [{ family: "Who", given: ["John"] }] } as never,
      { resourceType: "Patient", id: "other-1", name: [{ family: "Byron", given: ["George"] }] } as never,
    ]);
    const admin = await newPage();
    await signIn(admin, fl.base, ADMIN.username, ADMIN.password);
    await admin.goto(`${fl.base}/admin`);
    await admin.getByLabel("Role").selectOption("practitioner");
    await admin.getByLabel("Username", { exact: true }).fill("dr.who");
    await admin.getByLabel("Email").fill("who@example.org");
    await admin.getByLabel("Linked FHIR resource").fill("Practitioner/doc-1");
    await admin.getByLabel("Initial password").fill(GOOD_PASSWORD);
    await Promise.all([admin.waitForLoadState("load"), admin.getByRole("button", { name: "Create account" }).click()]);
    await expect(seen(admin.getByRole("status"))).resolves.toContain("dr.who is created");
    // consent is opt-in: Mary Shelley permits the practitioner (the picker lists only patients it may see)
    const shelleys = (await (await fl.server.request("/Patient?family=Shelley")).json()) as {
      entry: { resource: { id: string } }[];
    };
    await permitPractitioner(fl.server, shelleys.entry[0]!.resource.id, "Practitioner/doc-1");

    const page = await newPage();
    const { verifier, challenge } = pkce();
    const scope = "launch/patient patient/Patient.rs patient/Observation.rs";
    await page.goto(
      authorizeUrl(fl.base, { clientId, redirectUri: app.redirectUri, scope, state: "st-doc", challenge }),
    );
    await fillSignIn(page, "dr.who", GOOD_PASSWORD);
    await expect(seen(page.locator("h1"))).resolves.toBe("Choose the patient for Sleep Diary");
    await page.getByLabel("Patient name").fill("Shelley");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Search" }).click()]);
    const choices = page.getByRole("radio");
    await expect(choices.count()).resolves.toBe(1);
    await page.getByRole("radio", { name: /Mary Shelley/ }).check();
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Continue" }).click()]);
    await expect(seen(page.locator("main"))).resolves.toMatch(/Patient: Mary Shelley/);
    await page.getByRole("checkbox", { name: /Observation records/ }).uncheck();
    const answer = app.nextCallback();
    await page.getByRole("button", { name: "Allow" }).click();
    const query = await answer;
    expect(query.get("state")).toBe("st-doc");

    const token = (await (
      await fetch(`${fl.base}/auth/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: query.get("code")!,
          redirect_uri: app.redirectUri,
          client_id: clientId,
          code_verifier: verifier,
        }),
      })
    ).json()) as { access_token: string; patient: string; scope: string };
    expect(token.scope).toBe("launch/patient patient/Patient.rs");
    const shelley = await fetch(`${fl.base}/Patient/${token.patient}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(await shelley.json()).toMatchObject({ name: [{ family: "Shelley" }] });
    // Confined to the patient chosen, and to the scopes left ticked.
    const other = await fetch(`${fl.base}/Patient/other-1`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect([403, 404]).toContain(other.status);
    const observations = await fetch(`${fl.base}/Observation?patient=${token.patient}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(observations.status).toBe(403);
  });

  it("Deny sends the app access_denied with its state and no code", async () => {
    const page = await newPage();
    const { challenge } = pkce();
    await page.goto(
      authorizeUrl(fl.base, { clientId, redirectUri: app.redirectUri, scope: SCOPE, state: "st-deny", challenge }),
    );
    await fillSignIn(page, "mary.s", GOOD_PASSWORD);
    const answer = app.nextCallback();
    await page.getByRole("button", { name: "Deny" }).click();
    const query = await answer;
    expect(query.get("error")).toBe("access_denied");
    expect(query.get("state")).toBe("st-deny");
    expect(query.get("code")).toBeNull();
  });

  it("the authorize page refuses to be framed: headers say so, and an iframe on another origin does not render it", async () => {
    const page = await newPage();
    const { challenge } = pkce();
    const url = authorizeUrl(fl.base, {
      clientId,
      redirectUri: app.redirectUri,
      scope: SCOPE,
      state: "st-f",
      challenge,
    });
    await page.goto(`${fl.base}/login`);
    await fillSignIn(page, "mary.s", GOOD_PASSWORD);

    // The approval page itself, as the signed-in browser gets it.
    const direct = await page.goto(url);
    expect(await seen(page.locator("h1"))).toBe("Allow Sleep Diary to use your records?");
    const headers = direct!.headers();
    expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
    expect(headers["x-frame-options"]).toBe("DENY");

    // A page of the app's origin frames it (and, as a control, a page that may be framed).
    app.serve("/frameable", '<!doctype html><html lang="en"><title>ok</title><p id="ok">framed page shown</p></html>');
    app.serve(
      "/framer",
      `<!doctype html><html lang="en"><title>framer</title>
<iframe id="victim" src="${url.replaceAll("&", "&amp;")}" width="600" height="400"></iframe>
<iframe id="control" src="/frameable" width="600" height="100"></iframe></html>`,
    );
    await page.goto(`${app.origin}/framer`);
    const control = page.frameLocator("#control");
    await expect(seen(control.locator("#ok"))).resolves.toBe("framed page shown");
    // Give the refused frame time to load whatever it will.
    await page.waitForTimeout(500);
    const victim = page.frames().find((f) => f !== page.mainFrame() && !f.url().endsWith("/frameable"));
    expect(victim).toBeDefined();
    const inside = await seen(victim!.locator("body")).catch(() => "");
    expect(inside).not.toContain("Sleep Diary");
    expect(inside).not.toContain("Allow");
    expect(await victim!.locator("button").count()).toBe(0);
  });
});
