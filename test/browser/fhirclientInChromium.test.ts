/**
 * The SMART JS client fhirclient, its browser build (global `FHIR`), in headless Chromium against
 * a real fhirledger: a standalone launch as the patient and an EHR launch as a practitioner, each
 * ending with the app reading the patient through fhirledger's CORS-enabled token endpoint and API.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  ADMIN,
  DESKTOP,
  GOOD_PASSWORD,
  describeInBrowser,
  fillSignIn,
  launchChromium,
  registerPatient,
  registerPublicApp,
  seen,
  signIn,
  signOut,
  permitPractitioner,
  startBrowserServer,
} from "./support/browserHarness.ts";
import type { BrowserServer } from "./support/browserHarness.ts";

const require = createRequire(import.meta.url);
const FHIR_CLIENT_JS = join(dirname(require.resolve("fhirclient/package.json")), "build", "fhir-client.js");
const STANDALONE_SCOPE = "launch/patient openid fhirUser patient/*.rs";
const EHR_SCOPE = "launch openid fhirUser patient/*.rs";

/** The app: fhir-client.js, a launch page (authorize) and an index page (ready → patient.read). */
function appPages(clientId: string, base: string): Record<string, string> {
  const page = (script: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>app</title>
<script src="/fhir-client.js"></script></head><body><h1>App</h1><pre id="error"></pre><script>
const fail = (e) => { document.title = "error"; document.getElementById("error").textContent = String(e && e.stack || e); };
try { ${script} } catch (e) { fail(e); }
</script></body></html>`;
  return {
    "/launch.html": page(`
const q = new URLSearchParams(location.search);
const ehr = q.has("launch");
FHIR.oauth2.authorize({
  clientId: ${JSON.stringify(clientId)},
  scope: ehr ? ${JSON.stringify(EHR_SCOPE)} : ${JSON.stringify(STANDALONE_SCOPE)},
  redirectUri: "/index.html",
  iss: ehr ? q.get("iss") : ${JSON.stringify(base)},
  ...(ehr ? { launch: q.get("launch") } : {}),
}).catch(fail);`),
    "/index.html": page(`
FHIR.oauth2.ready().then(c => c.patient.read().then(p => {
  document.body.dataset.patient = JSON.stringify(p);
  document.body.dataset.tokenPatient = String(c.state.tokenResponse && c.state.tokenResponse.patient);
  document.body.dataset.fhirUser = String(c.getFhirUser());
  document.title = "ok";
})).catch(fail);`),
  };
}

async function startApp(): Promise<{ origin: string; server: Server; pages: Map<string, string> }> {
  const js = readFileSync(FHIR_CLIENT_JS, "utf8");
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://app.invalid").pathname;
    if (path === "/fhir-client.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(js);
      return;
    }
    const body = pages.get(path);
    res
      .writeHead(body === undefined ? 404 : 200, { "content-type": "text/html; charset=utf-8" })
      .end(body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, pages };
}

describeInBrowser("fhirclient (browser build) in Chromium against fhirledger", () => {
  let browser: Browser;
  let fl: BrowserServer;
  let app: Awaited<ReturnType<typeof startApp>>;
  let patientId: string;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    [browser, fl, app] = await Promise.all([launchChromium(), startBrowserServer(), startApp()]);
    const clientId = await registerPublicApp(
      fl.server,
      "Chart Viewer",
      `${app.origin}/index.html`,
      "launch launch/patient openid fhirUser patient/*.rs",
    );
    for (const [path, body] of Object.entries(appPages(clientId, fl.base))) app.pages.set(path, body);

    const page = await newPage();
    await registerPatient(page, fl.base, {
      given: "Ada",
      family: "Lovelace",
      username: "ada.l",
      email: "ada@example.org",
    });
    await signOut(page);
    const found = (await (await fl.server.request("/Patient?family=Lovelace")).json()) as {
      entry?: { resource: { id: string } }[];
    };
    patientId = found.entry![0]!.resource.id;

    // A practitioner account, made by the administrator, for the EHR launch.
    await fl.server.putAll([
      { resourceType: "Practitioner", id: "doc-1", name: [{ family: "Babbage", given: ["Charles"] }] } as never,
    ]);
    await signIn(page, fl.base, ADMIN.username, ADMIN.password);
    await page.goto(`${fl.base}/admin`);
    await page.getByLabel("Role").selectOption("practitioner");
    await page.getByLabel("Username", { exact: true }).fill("dr.babbage");
    await page.getByLabel("Email").fill("babbage@example.org");
    await page.getByLabel("Linked FHIR resource").fill("Practitioner/doc-1");
    await page.getByLabel("Initial password").fill(GOOD_PASSWORD);
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Create account" }).click()]);
    await expect(seen(page.getByRole("status"))).resolves.toContain("dr.babbage is created");
  }, 60_000);
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    if (app) {
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
    }
    await fl?.close();
  });

  /** From launch.html through fhirledger's sign-in and approval to the app's index page showing the patient. */
  async function runLaunch(launchUrl: string, username: string) {
    const page = await newPage();
    await page.goto(launchUrl);
    await page.waitForURL((u) => u.pathname === "/login" && u.origin === fl.base, { timeout: 10_000 });
    await fillSignIn(page, username, GOOD_PASSWORD);
    expect(new URL(page.url()).pathname).toBe("/auth/authorize");
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((u) => u.origin === app.origin && u.pathname === "/index.html", { timeout: 10_000 });
    await page.waitForFunction(() => document.title === "ok" || document.title === "error", undefined, {
      timeout: 10_000,
    });
    const error = await page.locator("#error").textContent();
    expect(error, "fhirclient's error on the app page").toBe("");
    const data = await page.evaluate(() => ({ ...document.body.dataset }));
    return {
      patient: JSON.parse(data.patient!) as Record<string, unknown>,
      tokenPatient: data.tokenPatient,
      fhirUser: data.fhirUser,
    };
  }

  it("standalone launch as the patient: authorize, sign in, approve, token (CORS) and Patient read", async () => {
    const result = await runLaunch(`${app.origin}/launch.html`, "ada.l");
    expect(result.tokenPatient).toBe(patientId);
    expect(result.patient).toMatchObject({ resourceType: "Patient", id: patientId, name: [{ family: "Lovelace" }] });
    expect(result.fhirUser).toBe(`Patient/${patientId}`);
  }, 30_000);

  it("EHR launch (launch from POST /auth/launch) as the practitioner reads the launch's patient", async () => {
    await permitPractitioner(fl.server, patientId, "Practitioner/doc-1");
    const created = await fl.server.request("/auth/launch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ patient: patientId }),
    });
    expect(created.status).toBe(201);
    const { launch } = (await created.json()) as { launch: string };
    const q = new URLSearchParams({ iss: fl.base, launch });
    const result = await runLaunch(`${app.origin}/launch.html?${q}`, "dr.babbage");
    expect(result.tokenPatient).toBe(patientId);
    expect(result.patient).toMatchObject({ resourceType: "Patient", id: patientId, name: [{ family: "Lovelace" }] });
    expect(result.fhirUser).toBe("Practitioner/doc-1");
  }, 30_000);
});
