import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  ADMIN,
  GOOD_PASSWORD,
  describeInBrowser,
  fillSignIn,
  launchChromium,
  registerPatient,
  seen,
  signIn,
  signOut,
  startBrowserServer,
} from "./support/browserHarness.ts";
import type { BrowserServer } from "./support/browserHarness.ts";

describeInBrowser("accounts in a real browser", () => {
  let browser: Browser;
  let fl: BrowserServer;
  const contexts: BrowserContext[] = [];
  /** A fresh browser profile (own cookies) per user. */
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    [browser, fl] = await Promise.all([launchChromium(), startBrowserServer()]);
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await fl?.close();
  });

  it("a patient registers, lands signed in with their own record, signs out and in again; a wrong password reads as an unknown user", async () => {
    const page = await newPage();
    await registerPatient(page, fl.base, {
      given: "Ada",
      family: "Lovelace",
      username: "ada.l",
      email: "Ada@Example.org",
    });
    expect(new URL(page.url()).pathname).toBe("/");
    await expect(seen(page.locator("main"))).resolves.toContain("You are signed in as ada.l (patient)");

    await page.getByRole("link", { name: "Your account" }).click();
    await page.waitForURL(`${fl.base}/account`);
    const account = await seen(page.locator("dl"));
    expect(account).toContain("ada.l");
    expect(account).toContain("ada@example.org");
    const record = /Patient\/([A-Za-z0-9.-]+)/.exec(account)?.[1];
    expect(record).toBeDefined();
    // The registration made the Patient resource, with the name typed in the form.
    const patient = await fl.server.json<{ name: { family: string; given: string[] }[] }>(`/Patient/${record}`);
    expect(patient.status).toBe(200);
    expect(patient.body.name[0]).toMatchObject({ family: "Lovelace", given: ["Ada"] });

    await signOut(page);
    await expect(page.getByRole("link", { name: "Sign in" }).first().isVisible()).resolves.toBe(true);
    await page.goto(`${fl.base}/account`);
    expect(new URL(page.url()).pathname).toBe("/login");

    await fillSignIn(page, "ada.l", GOOD_PASSWORD);
    expect(new URL(page.url()).pathname).toBe("/account");
    await expect(seen(page.locator("dl"))).resolves.toContain("ada.l");
    await signOut(page);

    await signIn(page, fl.base, "ada.l", "not the right password 1");
    const wrongPassword = await seen(page.getByRole("alert"));
    expect(wrongPassword).toBe("The username or password is not correct.");
    // The username stays in the form; the password does not.
    expect(await page.getByLabel("Username or email").inputValue()).toBe("ada.l");
    expect(await page.getByLabel("Password", { exact: true }).inputValue()).toBe("");
    await signIn(page, fl.base, "nobody.here", "not the right password 1");
    expect(await seen(page.getByRole("alert"))).toBe(wrongPassword);
  });

  it("an administrator creates a practitioner and registers an app; the practitioner issues an activation code; a patient activates with it", async () => {
    // Records made by the practice before anyone has an account.
    await fl.server.putAll([
      { resourceType: "Practitioner", id: "doc-1", name: [{ family: "Who", given: ["John"] }] } as never,
      { resourceType: "Patient", id: "pat-act", name: [{ family: "Hopper", given: ["Grace"] }] } as never,
    ]);

    const admin = await newPage();
    await signIn(admin, fl.base, ADMIN.username, ADMIN.password);
    await admin.getByRole("navigation").getByRole("link", { name: "Administration" }).click();
    await admin.waitForURL(`${fl.base}/admin`);
    await admin.getByLabel("Role").selectOption({ label: "Practitioner" });
    await admin.getByLabel("Username", { exact: true }).fill("dr.who");
    await admin.getByLabel("Email").fill("who@example.org");
    await admin.getByLabel("Linked FHIR resource").fill("Practitioner/doc-1");
    await admin.getByLabel("Initial password").fill(GOOD_PASSWORD);
    await Promise.all([admin.waitForLoadState("load"), admin.getByRole("button", { name: "Create account" }).click()]);
    await expect(seen(admin.getByRole("status"))).resolves.toBe("The practitioner account dr.who is created.");
    const accounts = await seen(admin.getByRole("table", { name: "Accounts" }));
    expect(accounts).toMatch(/dr\.who\s+who@example\.org\s+Practitioner\s+Practitioner\/doc-1\s+Active/);

    await admin.getByLabel("Name", { exact: true }).fill("Growth Chart");
    await admin.getByLabel("Type").selectOption("public");
    await admin.getByLabel("Redirect URIs").fill("https://growth.example/callback");
    await admin.getByLabel("Scopes").fill("launch/patient openid fhirUser patient/Observation.rs");
    await Promise.all([admin.waitForLoadState("load"), admin.getByRole("button", { name: "Register app" }).click()]);
    const notice = await seen(admin.getByRole("status"));
    expect(notice).toMatch(/^The app Growth Chart is registered\. Client id: \S+/);
    expect(notice).not.toContain("secret"); // a public app has none
    const clientId = /Client id: (\S+)/.exec(notice)![1]!;
    const apps = await seen(admin.getByRole("table", { name: "Registered apps" }));
    expect(apps).toContain("Growth Chart");
    expect(apps).toContain(clientId);
    expect(apps).toContain("https://growth.example/callback");

    const doctor = await newPage();
    await signIn(doctor, fl.base, "dr.who", GOOD_PASSWORD);
    await doctor.getByRole("navigation").getByRole("link", { name: "Activation codes" }).click();
    await doctor.waitForURL(`${fl.base}/activation-codes`);
    await doctor.getByLabel("Patient").fill("Patient/pat-act");
    await Promise.all([doctor.waitForLoadState("load"), doctor.getByRole("button", { name: "Issue a code" }).click()]);
    const code = (await seen(doctor.locator(".secret"))).trim();
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){2}$/);

    const grace = await newPage();
    await grace.goto(`${fl.base}/activate`);
    await grace.getByLabel("Activation code").fill(code);
    await grace.getByLabel("Username").fill("grace.h");
    await grace.getByLabel("Email").fill("grace@example.org");
    await grace.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
    await grace.getByLabel("Password again").fill(GOOD_PASSWORD);
    await Promise.all([grace.waitForLoadState("load"), grace.getByRole("button", { name: "Activate" }).click()]);
    await expect(seen(grace.locator("main"))).resolves.toContain("You are signed in as grace.h (patient)");
    await grace.goto(`${fl.base}/account`);
    await expect(seen(grace.locator("dl"))).resolves.toContain("Patient/pat-act");

    // The code worked once.
    const again = await newPage();
    await again.goto(`${fl.base}/activate`);
    await again.getByLabel("Activation code").fill(code);
    await again.getByLabel("Username").fill("grace.two");
    await again.getByLabel("Email").fill("grace2@example.org");
    await again.getByLabel("Password", { exact: true }).fill(GOOD_PASSWORD);
    await again.getByLabel("Password again").fill(GOOD_PASSWORD);
    await Promise.all([again.waitForLoadState("load"), again.getByRole("button", { name: "Activate" }).click()]);
    expect(new URL(again.url()).pathname).toBe("/activate");
    await expect(again.getByRole("alert").isVisible()).resolves.toBe(true);
    expect(await again.getByLabel("Activation code").getAttribute("aria-invalid")).toBe("true");
  });
});
