import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ADMIN,
  DESKTOP,
  GOOD_PASSWORD,
  PHONE,
  accessibilityProblems,
  boxesAwayFromLabels,
  authorizeUrl,
  describeInBrowser,
  launchChromium,
  lowContrastText,
  permitPractitioner,
  pkce,
  registerPatient,
  registerPublicApp,
  scrollWidth,
  screenshot,
  seen,
  signIn,
  startAppListener,
  startBrowserServer,
} from "./support/browserHarness.ts";
import type { AppListener, BrowserServer } from "./support/browserHarness.ts";

const SCOPE = "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs";

describeInBrowser("every page: accessible basics, usable on a phone, screenshots", () => {
  let browser: Browser;
  let fl: BrowserServer;
  let app: AppListener;
  let clientId: string;
  /** One signed-in browser profile per role, and one signed out. */
  const as: Record<"anonymous" | "patient" | "admin" | "practitioner", Page> = {} as never;
  const contexts: BrowserContext[] = [];

  const authorize = (state: string, scope = SCOPE) =>
    authorizeUrl(fl.base, { clientId, redirectUri: app.redirectUri, scope, state, challenge: pkce().challenge });

  beforeAll(async () => {
    [browser, fl, app] = await Promise.all([launchChromium(), startBrowserServer(), startAppListener()]);
    clientId = await registerPublicApp(
      fl.server,
      "Sleep Diary",
      app.redirectUri,
      `${SCOPE} user/Patient.rs patient/*.rs launch`,
    );
    for (const role of ["anonymous", "patient", "admin", "practitioner"] as const) {
      const context = await browser.newContext({ viewport: DESKTOP });
      contexts.push(context);
      as[role] = await context.newPage();
    }
    await fl.server.putAll([
      { resourceType: "Practitioner", id: "doc-1", name: [{ family: "Who", given: ["John"] }] } as never,
    ]);
    await registerPatient(as.patient, fl.base, {
      given: "Mary",
      family: "Shelley",
      username: "mary.s",
      email: "mary@example.org",
    });
    // Consent is opt-in: the practitioner's patient picker lists the patients who permit it.
    const shelleys = (await (await fl.server.request("/Patient?family=Shelley")).json()) as {
      entry: { resource: { id: string } }[];
    };
    await permitPractitioner(fl.server, shelleys.entry[0]!.resource.id, "Practitioner/doc-1");
    // The patient has connected the app once (approved, and the app took its tokens), so /apps lists it.
    const { verifier, challenge } = pkce();
    await as.patient.goto(
      authorizeUrl(fl.base, { clientId, redirectUri: app.redirectUri, scope: SCOPE, state: "st-c", challenge }),
    );
    const answer = app.nextCallback();
    await as.patient.getByRole("button", { name: "Allow" }).click();
    const code = (await answer).get("code")!;
    const token = await fetch(`${fl.base}/auth/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: app.redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    if (token.status !== 200) throw new Error(`the token request answered ${token.status}`);

    await signIn(as.admin, fl.base, ADMIN.username, ADMIN.password);
    await as.admin.goto(`${fl.base}/admin`);
    await as.admin.getByLabel("Role").selectOption("practitioner");
    await as.admin.getByLabel("Username", { exact: true }).fill("dr.who");
    await as.admin.getByLabel("Email").fill("who@example.org");
    await as.admin.getByLabel("Linked FHIR resource").fill("Practitioner/doc-1");
    await as.admin.getByLabel("Initial password").fill(GOOD_PASSWORD);
    await as.admin.getByRole("button", { name: "Create account" }).click();
    await as.admin.getByRole("status").waitFor();
    await signIn(as.practitioner, fl.base, "dr.who", GOOD_PASSWORD);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fl?.close();
  });

  /** The pages: a name (for the screenshot), who looks, where, what the page must say. */
  const PAGES: { name: string; who: keyof typeof as; path: () => string; status?: number; says: string }[] = [
    { name: "home", who: "anonymous", path: () => "/", says: "For app developers" },
    { name: "home-signed-in", who: "patient", path: () => "/", says: "You are signed in as mary.s" },
    { name: "login", who: "anonymous", path: () => "/login", says: "Sign in" },
    { name: "register", who: "anonymous", path: () => "/register", says: "Create your patient account" },
    { name: "activate", who: "anonymous", path: () => "/activate", says: "activation code" },
    { name: "account", who: "patient", path: () => "/account", says: "Change your password" },
    { name: "apps", who: "patient", path: () => "/apps", says: "Sleep Diary" },
    { name: "admin", who: "admin", path: () => "/admin", says: "Register an app" },
    { name: "activation-codes", who: "practitioner", path: () => "/activation-codes", says: "Issue a code" },
    { name: "logout", who: "patient", path: () => "/logout", says: "Sign out" },
    { name: "not-found", who: "admin", path: () => "/admin/no-such-page", status: 404, says: "There is no page here" },
    {
      name: "authorize-approval",
      who: "patient",
      path: () => authorize("st-a11y").slice(fl.base.length),
      says: "Sleep Diary asks to",
    },
    {
      name: "authorize-patient-picker",
      who: "practitioner",
      path: () => authorize("st-pick", "launch/patient patient/*.rs").slice(fl.base.length),
      says: "Mary Shelley",
    },
    {
      name: "authorize-refused",
      who: "anonymous",
      path: () => "/auth/authorize?client_id=nobody&response_type=code",
      status: 400,
      says: "Go back to the app",
    },
  ];

  it.each(PAGES)(
    "$name: lang, one h1, viewport, labels, contrast; no framing; no sideways scroll at 375 px",
    async (p) => {
      const page = as[p.who];
      await page.setViewportSize(DESKTOP);
      const response = await page.goto(`${fl.base}${p.path()}`);
      expect(response?.status()).toBe(p.status ?? 200);
      expect(await seen(page.locator("main"))).toContain(p.says);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await lowContrastText(page)).toEqual([]);
      const headers = response!.headers();
      expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
      expect(headers["x-frame-options"]).toBe("DENY");
      await screenshot(page, p.name, "desktop");

      await page.setViewportSize(PHONE);
      expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
      expect(await boxesAwayFromLabels(page)).toEqual([]);
      await screenshot(page, p.name, "phone");
    },
  );

  it("the sign-in form works from the keyboard alone: Tab reaches the fields, then the button, each outlined; Enter signs in", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    try {
      const page = await context.newPage();
      await page.goto(`${fl.base}/login`);
      const reached: string[] = [];
      const unmarked: string[] = [];
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press("Tab");
        const { focused, outline } = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return { focused: "", outline: "" };
          const form = el.closest("form")?.getAttribute("action") ?? "";
          const style = getComputedStyle(el);
          return {
            focused: `${el.tagName.toLowerCase()}${el.getAttribute("name") ? `[${el.getAttribute("name")}]` : ""}${el.getAttribute("type") === "submit" ? "[submit]" : ""}@${form}`,
            outline: style.outlineStyle === "none" ? "" : style.outlineWidth,
          };
        });
        reached.push(focused);
        // Where the focus is must show: a visible outline of 2 px or more.
        if (Number.parseFloat(outline) < 2 || outline === "") unmarked.push(focused);
        if (focused === "button[submit]@/login") break;
      }
      expect(unmarked).toEqual([]);
      const at = (what: string) => reached.indexOf(what);
      expect(at("input[username]@/login")).toBeGreaterThanOrEqual(0);
      expect(at("input[password]@/login")).toBeGreaterThan(at("input[username]@/login"));
      expect(at("button[submit]@/login")).toBeGreaterThan(at("input[password]@/login"));
      // The first Tab lands on the skip link, which leads to the form.
      expect(await page.getByRole("link", { name: "Skip to content" }).count()).toBe(1);

      await page.getByLabel("Username or email").focus();
      await page.keyboard.type("mary.s");
      await page.keyboard.press("Tab");
      await page.keyboard.type(GOOD_PASSWORD);
      await Promise.all([page.waitForURL(`${fl.base}/`), page.keyboard.press("Enter")]);
      expect(await seen(page.locator("main"))).toContain("You are signed in as mary.s");
    } finally {
      await context.close();
    }
  });

  it("a refused form shows its errors in an alert, each linked to its field, and marks the fields invalid", async () => {
    const page = as.anonymous;
    await page.setViewportSize(DESKTOP);
    await page.goto(`${fl.base}/register`);
    await page.getByLabel("Given name").fill("Percy");
    await page.getByLabel("Family name").fill("Shelley");
    await page.getByLabel("Username").fill("mary.s"); // taken
    await page.getByLabel("Email").fill("not an email");
    await page.getByLabel("Password", { exact: true }).fill("password1234");
    await page.getByLabel("Password again").fill("password1234");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Register" }).click()]);
    const alert = page.getByRole("alert");
    await expect(alert.isVisible()).resolves.toBe(true);
    const links = await alert.getByRole("link").all();
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const target = (await link.getAttribute("href"))!.slice(1);
      expect(await page.locator(`[id="${target}"]`).getAttribute("aria-invalid")).toBe("true");
    }
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "register-errors", "desktop");
    await page.setViewportSize(PHONE);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, "register-errors", "phone");
  });
});
