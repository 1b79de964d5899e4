import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  DESKTOP,
  GOOD_PASSWORD,
  accessibilityProblems,
  describeInBrowser,
  lowContrastText,
  PHONE,
  scrollWidth,
  launchChromium,
  registerPatient,
  screenshot,
  seen,
  signIn,
  startBrowserServer,
} from "./support/browserHarness.ts";
import type { BrowserServer } from "./support/browserHarness.ts";

/**
 * The consent journey in Chromium against a real fhirledger (consent opt-in, audit on): a
 * practitioner is denied → requests access → the patient approves in the portal → the
 * practitioner reads → the patient revokes → denied again; the patient's access log shows it.
 */
describeInBrowser("consent journey in a real browser", () => {
  let browser: Browser;
  let fl: BrowserServer;
  let patientId: string;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    [browser, fl] = await Promise.all([launchChromium(), startBrowserServer()]);
    // The institution's directory: the practitioner's own record, and their account linked to it.
    const put = await fl.server.request("/Practitioner/doc-7", {
      method: "PUT",
      body: JSON.stringify({
        resourceType: "Practitioner",
        id: "doc-7",
        name: [{ prefix: ["Dr"], given: ["Jane"], family: "Foster" }],
      }),
    });
    expect(put.status).toBe(201);
    await fl.server.accounts.users.createUser({
      username: "dr.foster",
      password: GOOD_PASSWORD,
      role: "practitioner",
      fhirUser: "Practitioner/doc-7",
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await browser?.close();
    await fl?.close();
  });

  it("denied → request → patient approves → practitioner reads → patient revokes → denied; each step in the access log", async () => {
    // The patient registers (and is signed in after); a result is recorded in their record.
    const patient = await newPage();
    await registerPatient(patient, fl.base, {
      given: "Ada",
      family: "Lovelace",
      username: "ada.l",
      email: "ada@example.org",
    });
    const found = (await (await fl.server.request("/Patient?family=Lovelace")).json()) as {
      entry: { resource: { id: string } }[];
    };
    patientId = found.entry[0]!.resource.id;
    const observation = await fl.server.request("/Observation", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Observation",
        status: "final",
        code: { text: "Haemoglobin A1c" },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: "2026-11-20T08:30:00Z",
      }),
    });
    expect(observation.status).toBe(201);

    // 1. The practitioner opens the patient's records: not granted, with a way to ask.
    const doctor = await newPage();
    await signIn(doctor, fl.base, "dr.foster", GOOD_PASSWORD);
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe("Access not granted");
    await expect(seen(doctor.locator("main"))).resolves.not.toContain("Haemoglobin");

    // 2. It asks for access from there.
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("link", { name: `Request access to Patient/${patientId}` }).click(),
    ]);
    await expect(doctor.getByLabel("Patient", { exact: true }).inputValue()).resolves.toBe(`Patient/${patientId}`);
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("button", { name: "Request access" }).click(),
    ]);
    await expect(seen(doctor.getByRole("status"))).resolves.toContain("Your request is sent");
    const requests = await seen(doctor.locator("main table").last());
    expect(requests).toContain(`Patient/${patientId}`);
    expect(requests).toContain("Waiting for the patient's answer");
    expect(await accessibilityProblems(doctor)).toEqual([]);
    await screenshot(doctor, "consent-request-access", "desktop");

    // 3. The patient sees the request by the practitioner's name, and approves it.
    await patient.goto(`${fl.base}/consents`);
    const waiting = await seen(patient.locator("main"));
    expect(waiting).toMatch(/Waiting for your answer[\s\S]*Dr Jane Foster[\s\S]*All your records/);
    expect(await accessibilityProblems(patient)).toEqual([]);
    await screenshot(patient, "consent-consents-waiting", "desktop");
    await Promise.all([
      patient.waitForLoadState("load"),
      patient.getByRole("button", { name: "Approve Dr Jane Foster" }).click(),
    ]);
    await expect(seen(patient.getByRole("status"))).resolves.toContain("Approved");

    // 4. The practitioner reads the records now.
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe("Records of Ada Lovelace");
    await expect(seen(doctor.locator("main"))).resolves.toContain("Haemoglobin A1c");
    await doctor.goto(`${fl.base}/request-access`);
    await expect(seen(doctor.locator("main table").last())).resolves.toContain("Active");

    // 5. The patient revokes; 6. the practitioner's very next request is denied.
    await patient.goto(`${fl.base}/consents`);
    await Promise.all([
      patient.waitForLoadState("load"),
      patient.getByRole("button", { name: "Revoke Dr Jane Foster" }).click(),
    ]);
    await expect(seen(patient.getByRole("status"))).resolves.toContain("Revoked");
    await expect(seen(patient.locator("main"))).resolves.toMatch(/Past[\s\S]*Dr Jane Foster[\s\S]*Revoked/);
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe("Access not granted");
    await expect(seen(doctor.locator("main"))).resolves.not.toContain("Haemoglobin");

    // 7. The patient's access log: the practitioner's refused look, the allowed read of the
    // Observation, and the refused one after the revocation, newest first.
    // Every page of the log, newest first (20 a page).
    const rows: string[] = [];
    for (let page = 1; page <= 10; page++) {
      await patient.goto(`${fl.base}/access-log?page=${page}`);
      rows.push(...(await patient.locator("main table tbody tr").allInnerTexts()).map((r) => r.replace(/\s+/g, " ")));
      if ((await patient.getByRole("link", { name: "Older entries" }).count()) === 0) break;
    }
    const doctorRows = rows.filter(
      (r) => r.includes("Dr Jane Foster (Practitioner/doc-7)") && !r.includes("consent check"),
    );
    // The consent decisions themselves (AuthZ-Consent): refused and permitted ones.
    const checks = rows.filter((r) => r.includes("Dr Jane Foster (Practitioner/doc-7) consent check on your record"));
    expect(checks.some((r) => r.endsWith("Refused or failed") || r.includes("Refused or failed"))).toBe(true);
    expect(checks.some((r) => r.includes("Allowed"))).toBe(true);
    const index = (re: RegExp) => doctorRows.findIndex((r) => re.test(r));
    const deniedAfter = index(/read your record Refused or failed/);
    const readAllowed = index(/operation in your records Allowed/);
    const requested = index(/create Consent\/\S+ Allowed/);
    const deniedBefore = doctorRows.findLastIndex((r) => /read your record Refused or failed/.test(r));
    expect(deniedAfter, rows.join("\n")).toBe(0);
    expect(readAllowed, rows.join("\n")).toBeGreaterThan(deniedAfter);
    expect(requested, rows.join("\n")).toBeGreaterThan(readAllowed);
    expect(deniedBefore, rows.join("\n")).toBeGreaterThan(requested);
    // The patient's own approval and revocation are there too (each also as a consent-change event).
    expect(
      rows.filter((r) => /You update Consent\/\S+ Allowed/.test(r)).length,
      rows.join("\n"),
    ).toBeGreaterThanOrEqual(2);
    expect(await accessibilityProblems(patient)).toEqual([]);
    await screenshot(patient, "consent-access-log", "desktop");
  }, 120_000);

  it("a request limited to observations: once approved the practitioner sees the observations only, and its request as active", async () => {
    const doctor = await newPage();
    await signIn(doctor, fl.base, "dr.foster", GOOD_PASSWORD);
    await doctor.goto(`${fl.base}/request-access?patient=Patient/${patientId}`);
    await doctor.getByLabel("Observations (results, vital signs)").check();
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("button", { name: "Request access" }).click(),
    ]);
    await expect(seen(doctor.getByRole("status"))).resolves.toContain("Your request is sent");

    const patient = await newPage();
    await signIn(patient, fl.base, "ada.l", GOOD_PASSWORD);
    await patient.goto(`${fl.base}/consents`);
    await expect(seen(patient.locator("main"))).resolves.toMatch(
      /Waiting for your answer[\s\S]*Dr Jane Foster[\s\S]*Observation/,
    );
    await Promise.all([
      patient.waitForLoadState("load"),
      patient.getByRole("button", { name: "Approve Dr Jane Foster" }).click(),
    ]);

    // The Patient itself is not covered, so the page lists what it may see kind by kind.
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe(`Records of Patient/${patientId}`);
    await expect(seen(doctor.locator("main"))).resolves.toContain("Haemoglobin A1c");
    await doctor.goto(`${fl.base}/request-access`);
    await expect(seen(doctor.locator("main table").last())).resolves.toMatch(/Observation\s+No time limit\s+Active/);

    await patient.goto(`${fl.base}/consents`);
    await Promise.all([
      patient.waitForLoadState("load"),
      patient.getByRole("button", { name: "Revoke Dr Jane Foster" }).click(),
    ]);
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe("Access not granted");
  }, 120_000);

  it("break-glass: the practitioner opens emergency access with a reason, reads; the patient sees it highlighted on /consents and flagged in the log", async () => {
    const doctor = await newPage();
    await signIn(doctor, fl.base, "dr.foster", GOOD_PASSWORD);
    await doctor.goto(`${fl.base}/patients/${patientId}`);
    await expect(seen(doctor.getByRole("heading", { level: 1 }))).resolves.toBe("Access not granted");
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("link", { name: "emergency access (break-glass)" }).click(),
    ]);
    await expect(doctor.getByLabel("Patient", { exact: true }).inputValue()).resolves.toBe(`Patient/${patientId}`);
    await doctor.getByLabel("Reason").fill("Unconscious in the emergency department");
    await doctor.getByLabel("Minutes").fill("15");
    expect(await accessibilityProblems(doctor)).toEqual([]);
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("button", { name: "Open emergency access" }).click(),
    ]);
    await expect(seen(doctor.getByRole("status"))).resolves.toMatch(/Emergency access to Patient\/\S+ is open until/);
    await Promise.all([
      doctor.waitForLoadState("load"),
      doctor.getByRole("link", { name: /^Open the records/ }).click(),
    ]);
    await expect(seen(doctor.locator("main"))).resolves.toContain("Haemoglobin A1c");

    const patient = await newPage();
    await signIn(patient, fl.base, "ada.l", GOOD_PASSWORD);
    await patient.goto(`${fl.base}/consents`);
    const consents = await seen(patient.locator("main"));
    expect(consents).toContain("Emergency access is open on your records.");
    expect(consents).toMatch(
      /Emergency access \(break-glass\): Unconscious in the emergency department[\s\S]*Dr Jane Foster/,
    );
    await expect(patient.locator("tr.urgent").count()).resolves.toBe(1);
    await screenshot(patient, "consent-break-glass", "desktop");
    // On a phone: no sideways scroll (tables scroll inside their frame), readable contrast.
    for (const path of ["/consents", "/access-log"]) {
      await patient.setViewportSize(PHONE);
      await patient.goto(`${fl.base}${path}`);
      expect(await scrollWidth(patient), path).toBeLessThanOrEqual(PHONE.width);
      expect(await lowContrastText(patient), path).toEqual([]);
    }
    await screenshot(patient, "consent-access-log", "phone");
    await patient.setViewportSize(DESKTOP);
    await patient.goto(`${fl.base}/access-log`);
    const newest = (await patient.locator("main table tbody tr").allInnerTexts()).map((r) => r.replace(/\s+/g, " "));
    expect(
      newest.filter(
        (r) => r.includes("Dr Jane Foster") && r.includes("Emergency access (break-glass)") && /ETREAT/.test(r),
      ),
      newest.join("\n"),
    ).not.toHaveLength(0);
  }, 120_000);
});
