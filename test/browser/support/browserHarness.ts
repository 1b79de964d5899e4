/**
 * What the browser tests share: Chromium (or a skip that says how to get it), a real
 * fhirledger with a first administrator, a local app that receives the OAuth redirect, and
 * the page checks (accessibility, phone width, screenshots).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import type { Browser, Locator, Page } from "playwright-core";
import { describe } from "vitest";
import { MemoryBlobStore } from "../../../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../../../src/adapters/ledger/MemoryLedger.ts";
import { removeDir, startTestServer } from "../../support/testServer.ts";
import type { TestServer } from "../../support/testServer.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_MESSAGE = `skipped: ${CHROMIUM} is absent. Install it with \`apt-get install -y chromium\` (Debian/Ubuntu; CI does this in .ci/run) to run the browser tests`;

/** describe, or a skip whose name says why and how to install Chromium. */
export function describeInBrowser(name: string, body: () => void): void {
  if (HAS_CHROMIUM) {
    describe(name, body);
    return;
  }
  console.warn(`${name}: ${SKIP_MESSAGE}`);
  describe.skip(`${name} (${SKIP_MESSAGE})`, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
    ],
  });
}

/** A password the accounts' checks accept (length, not in the breached list). */
export const GOOD_PASSWORD = "violet tractor harbour 42";
export const ADMIN = { username: "root1", password: "granite orchard lantern 7" };

export interface BrowserServer {
  server: TestServer;
  base: string;
  close(): Promise<void>;
}

/**
 * A real fhirledger (SQLite, key store, OAuth, pages) on a temp data dir, with the in-memory
 * blob store and ledger so a file's tests start in seconds; the first administrator is
 * created at start-up from FHIRLEDGER_ADMIN_USERNAME and FHIRLEDGER_ADMIN_PASSWORD_FILE.
 */
export async function startBrowserServer(): Promise<BrowserServer> {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-browser-"));
  const passwordFile = join(dir, "admin.password");
  writeFileSync(passwordFile, `${ADMIN.password}\n`, { mode: 0o600 });
  const server = await startTestServer({
    dataDir: join(dir, "data"),
    env: { FHIRLEDGER_ADMIN_USERNAME: ADMIN.username, FHIRLEDGER_ADMIN_PASSWORD_FILE: passwordFile },
    overrides: { blobs: new MemoryBlobStore(), ledger: new MemoryLedger() },
  });
  return {
    server,
    base: server.baseUrl,
    async close() {
      try {
        await server.close();
      } finally {
        await removeDir(dir);
      }
    },
  };
}

/**
 * The patient's active Consent permitting `practitioner` ("Practitioner/x"), written by the
 * institution (the development token: a system client, which may activate one). Consent is
 * opt-in: without it a practitioner sees nothing of the patient's compartment.
 */
export async function permitPractitioner(server: TestServer, patientId: string, practitioner: string): Promise<void> {
  const res = await server.request("/Consent", {
    method: "POST",
    body: JSON.stringify({
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
      patient: { reference: `Patient/${patientId}` },
      provision: { type: "permit", actor: [{ role: { text: "clinician" }, reference: { reference: practitioner } }] },
    }),
  });
  if (res.status !== 201) throw new Error(`the Consent was answered ${res.status}: ${await res.text()}`);
}

/** Fills and sends the sign-in form on the current page (which must show it). */
export async function fillSignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Sign in" }).click()]);
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await fillSignIn(page, username, password);
}

export interface NewPatient {
  given: string;
  family: string;
  username: string;
  email: string;
  password?: string;
}

/** Registers a patient through /register; the browser is signed in as them after. */
export async function registerPatient(page: Page, base: string, p: NewPatient): Promise<void> {
  await page.goto(`${base}/register`);
  await page.getByLabel("Given name").fill(p.given);
  await page.getByLabel("Family name").fill(p.family);
  await page.getByLabel("Birth date").fill("1980-04-02");
  await page.getByLabel("Username").fill(p.username);
  await page.getByLabel("Email").fill(p.email);
  await page.getByLabel("Password", { exact: true }).fill(p.password ?? GOOD_PASSWORD);
  await page.getByLabel("Password again").fill(p.password ?? GOOD_PASSWORD);
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Register" }).click()]);
}

export async function signOut(page: Page): Promise<void> {
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: /^Sign out/ }).click()]);
}

/** A PKCE S256 pair, computed here as an app would. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface AppListener {
  origin: string;
  redirectUri: string;
  /** The next request to /callback: its query. */
  nextCallback(): Promise<URLSearchParams>;
  /** Extra pages the "app" serves at a path (HTML). */
  serve(path: string, body: string): void;
  close(): Promise<void>;
}

/** A stand-in for the app: a local HTTP server on another origin that receives the redirect. */
export async function startAppListener(): Promise<AppListener> {
  const waiting: ((q: URLSearchParams) => void)[] = [];
  const received: URLSearchParams[] = [];
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app.invalid");
    if (url.pathname === "/callback") {
      const next = waiting.shift();
      if (next) next(url.searchParams);
      else received.push(url.searchParams);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end('<!doctype html><html lang="en"><title>App</title><h1>The app received the answer</h1></html>');
      return;
    }
    const page = pages.get(url.pathname);
    res.writeHead(page === undefined ? 404 : 200, { "content-type": "text/html; charset=utf-8" });
    res.end(page ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    redirectUri: `${origin}/callback`,
    nextCallback: () => {
      const already = received.shift();
      if (already) return Promise.resolve(already);
      return new Promise((resolve) => waiting.push(resolve));
    },
    serve: (path, body) => pages.set(path, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Registers a public client through RFC 7591 dynamic registration with the development token. */
export async function registerPublicApp(
  server: TestServer,
  name: string,
  redirectUri: string,
  scope: string,
): Promise<string> {
  const res = await server.request("/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      scope,
    }),
  });
  const body = (await res.json()) as { client_id?: string };
  if (res.status !== 201 || !body.client_id)
    throw new Error(`registering the app answered ${res.status}: ${JSON.stringify(body)}`);
  return body.client_id;
}

export function authorizeUrl(
  base: string,
  o: { clientId: string; redirectUri: string; scope: string; state: string; challenge: string },
): string {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    scope: o.scope,
    state: o.state,
    aud: base,
    code_challenge: o.challenge,
    code_challenge_method: "S256",
  });
  return `${base}/auth/authorize?${q}`;
}

/**
 * What a page breaks of the basics, as sentences (empty when none): `<html lang>`, one
 * `<h1>`, a viewport meta, a label for every form control (a `<label for>`, a wrapping
 * label, aria-label or aria-labelledby), a name for every button.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    if (!document.documentElement.lang) problems.push("no <html lang>");
    const h1 = document.querySelectorAll("h1").length;
    if (h1 !== 1) problems.push(`${h1} <h1> elements, not one`);
    const viewport = document.querySelector('meta[name="viewport"]')?.getAttribute("content") ?? "";
    if (!/width=device-width/.test(viewport)) problems.push("no viewport meta with width=device-width");
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("input, select, textarea"))) {
      if (el instanceof HTMLInputElement && el.type === "hidden") continue;
      const id = el.id;
      const labelled =
        (id !== "" && document.querySelector(`label[for="${CSS.escape(id)}"]`)?.textContent?.trim()) ||
        el.closest("label")?.textContent?.trim() ||
        el.getAttribute("aria-label")?.trim() ||
        (el.getAttribute("aria-labelledby") ?? "")
          .split(/\s+/)
          .some((ref: string) => document.getElementById(ref)?.textContent?.trim());
      if (!labelled) problems.push(`<${el.tagName.toLowerCase()} name="${el.getAttribute("name")}"> has no label`);
    }
    for (const b of Array.from(document.querySelectorAll("button"))) {
      if (!(b.textContent?.trim() || b.getAttribute("aria-label")?.trim())) problems.push("a <button> has no name");
    }
    return problems;
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 667 };

/** The page's width in CSS pixels: more than the viewport means a horizontal scroll. */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.scrollingElement!.scrollWidth);
}

export const SCREENSHOT_DIR = fileURLToPath(new URL("../../../test-artifacts/screenshots/", import.meta.url));

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>-<size>.png; returns its path. */
export async function screenshot(page: Page, name: string, size: "desktop" | "phone"): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}-${size}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The text a user sees in an element (rendered: hidden elements left out, as a reader would). */
export function seen(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text, which is what these tests check
  return locator.innerText();
}

/**
 * Checkboxes and radio buttons that are not beside their label (on its first line, to its
 * left), as sentences: a box far from its words is hard to tick knowingly on a phone.
 */
export async function boxesAwayFromLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const box of Array.from(
      document.querySelectorAll<HTMLInputElement>("input[type=checkbox], input[type=radio]"),
    )) {
      const label = box.id ? document.querySelector(`label[for="${CSS.escape(box.id)}"]`) : null;
      if (!label) continue; // accessibilityProblems reports it
      const b = box.getBoundingClientRect();
      const firstLine = label.getClientRects()[0] ?? label.getBoundingClientRect();
      const middle = b.top + b.height / 2;
      if (middle < firstLine.top || middle > firstLine.bottom || b.right > firstLine.left + 1)
        problems.push(
          `the ${box.type} "${box.value}" is not beside its label "${label.textContent?.trim().slice(0, 40)}"`,
        );
    }
    return problems;
  });
}

/**
 * Text whose contrast with what is behind it is below WCAG AA (4.5:1, or 3:1 for large text:
 * 24 px, or 18.66 px bold), as sentences. The background is the first opaque one among the
 * element and its ancestors (white at the top).
 */
export async function lowContrastText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (css: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!
        .split(/[,\s/]+/)
        .filter(Boolean)
        .map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const luminance = ([r, g, b]: number[]) => {
      const lin = (v: number) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c[3] > 0.99) return c;
      }
      return [255, 255, 255, 1];
    };
    const problems: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent?.trim()) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width <= 1 || rect.height <= 1) continue; // visually hidden
      const style = getComputedStyle(el);
      const fg = rgb(style.color);
      const l1 = luminance(fg);
      const l2 = luminance(background(el));
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = Number.parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        problems.push(`"${node.textContent.trim().slice(0, 30)}" has contrast ${ratio.toFixed(2)}:1`);
    }
    return problems;
  });
}
