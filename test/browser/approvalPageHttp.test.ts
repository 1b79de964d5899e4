import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, authorizeUrl, pkce, registerPublicApp, startBrowserServer } from "./support/browserHarness.ts";
import type { BrowserServer } from "./support/browserHarness.ts";

/**
 * What the browser tests found on the approval page, checked over plain HTTP so it runs
 * without Chromium too: the page had two <h1> (the layout's and the body's), named no
 * patient to a patient user (the picker read their record as anonymous), and its header
 * offered a signed-in user to sign in.
 */
describe("the approval page a patient sees (no browser needed)", () => {
  let fl: BrowserServer;
  beforeAll(async () => {
    fl = await startBrowserServer();
  });
  afterAll(() => fl?.close());

  it("has one <h1> naming the app, names the patient and who is signed in", async () => {
    const form = await fetch(`${fl.base}/register`, { headers: { accept: "text/html" } });
    let cookie = form.headers.getSetCookie()[0]!.split(";")[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const registered = await fetch(`${fl.base}/register`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: csrf,
        given: "Mary",
        family: "Shelley",
        username: "mary.s",
        email: "mary@example.org",
        password: GOOD_PASSWORD,
        confirm: GOOD_PASSWORD,
      }),
    });
    expect(registered.status).toBe(303);
    cookie = registered.headers.getSetCookie()[0]!.split(";")[0]!;

    const redirectUri = "http://127.0.0.1:9/callback";
    const scope = "launch/patient patient/Observation.rs";
    const clientId = await registerPublicApp(fl.server, "Sleep Diary", redirectUri, scope);
    const url = authorizeUrl(fl.base, { clientId, redirectUri, scope, state: "s", challenge: pkce().challenge });
    const page = await fetch(url, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text.match(/<h1\b/g)).toHaveLength(1);
    expect(text).toMatch(/<h1>Allow Sleep Diary to use your records\?<\/h1>/);
    expect(text).toMatch(/Patient: <strong>Mary Shelley<\/strong>/);
    // Signed in, so the header names the user and offers to sign out (it said "Sign in").
    expect(text).toContain("Sign out mary.s");
    expect(text).not.toContain('href="/login"');
  });
});
