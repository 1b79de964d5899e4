import { createServer } from "node:http";
import type { UserCredentials } from "./config.ts";
import { hiddenFields, parseForms } from "./html.ts";
import type { HtmlForm } from "./html.ts";

export interface AuthorizeOptions {
  /** Whose account approves: the patient (standalone) or the practitioner (EHR launch). */
  user: "patient" | "practitioner";
  /** Which requested scopes stay ticked on the approval screen (default: all). */
  keepScope?: (scope: string) => boolean;
  /** The patient to choose when the server shows a patient picker. */
  patientId?: string;
  /** What the tester is asked to do (manual mode only). */
  instruction?: string;
}

/** Where the user's trip through the authorize endpoint ended. */
export interface AuthorizeOutcome {
  /** The redirect to the app's redirect_uri, when there was one. */
  redirect?: URL;
  /** Otherwise: where and why it stopped. */
  stopped?: string;
}

/** The browser step of a launch: takes an authorize URL, returns the redirect the app received. */
export interface AuthorizationDriver {
  authorize(url: string, options: AuthorizeOptions): Promise<AuthorizeOutcome>;
  close(): Promise<void>;
}

/** The steps one trip may take (login, picker, approval and their redirects); more is a loop. */
const MAX_STEPS = 20;
const MAX_PAGE_CHARS = 1024 * 1024;

/** A cookie jar of one browser: per origin, name → value, sent back only to the origin that set it. */
class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();
  header(url: string): string | undefined {
    const cookies = this.#cookies.get(new URL(url).origin);
    return cookies === undefined || cookies.size === 0
      ? undefined
      : [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    let cookies = this.#cookies.get(origin);
    if (!cookies) this.#cookies.set(origin, (cookies = new Map()));
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "") cookies.delete(name);
      else if (cookies.size < 50 || cookies.has(name)) cookies.set(name, value);
    }
  }
}

/**
 * Drives a server's own sign-in and approval forms over HTTP, as a browser without scripts
 * would (fhirledger's /login, patient picker and approval screen): follows redirects by hand,
 * keeps each user's cookies, sends each form's hidden fields (CSRF token, request id) back, and
 * stops at the redirect to the registered redirect_uri.
 */
export class FormDriver implements AuthorizationDriver {
  readonly #users: Record<AuthorizeOptions["user"], UserCredentials | undefined>;
  readonly #redirectUri: string;
  readonly #timeoutMs: number;
  readonly #jars = new Map<string, CookieJar>();

  constructor(options: {
    patientUser?: UserCredentials;
    practitionerUser?: UserCredentials;
    redirectUri: string;
    timeoutMs: number;
  }) {
    this.#users = { patient: options.patientUser, practitioner: options.practitionerUser };
    this.#redirectUri = options.redirectUri;
    this.#timeoutMs = options.timeoutMs;
  }

  async authorize(url: string, options: AuthorizeOptions): Promise<AuthorizeOutcome> {
    const credentials = this.#users[options.user];
    if (!credentials) return { stopped: `no ${options.user} credentials in the config` };
    let jar = this.#jars.get(options.user);
    if (!jar) this.#jars.set(options.user, (jar = new CookieJar()));
    let request: { url: string; method: "GET" | "POST"; body?: URLSearchParams } = { url, method: "GET" };
    let loggedIn = false;
    for (let step = 0; step < MAX_STEPS; step++) {
      if (this.#isRedirectUri(request.url)) return { redirect: new URL(request.url) };
      const cookie = jar.header(request.url);
      const response = await fetch(request.url, {
        method: request.method,
        redirect: "manual",
        headers: {
          accept: "text/html",
          ...(cookie ? { cookie } : {}),
          ...(request.body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        ...(request.body ? { body: request.body.toString() } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      jar.store(request.url, response);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        request = { url: new URL(location, request.url).toString(), method: "GET" };
        continue;
      }
      const page = (await response.text()).slice(0, MAX_PAGE_CHARS);
      const forms = parseForms(page);
      const login = forms.find((f) => f.method === "post" && f.inputs.some((i) => i.type === "password"));
      if (login) {
        // Once signed in, a second sign-in form means the credentials were refused.
        if (loggedIn) return { stopped: `sign-in refused (HTTP ${response.status})` };
        loggedIn = true;
        const body = new URLSearchParams(hiddenFields(login));
        const userField = login.inputs.find((i) => i.type === "text" || i.type === "email")?.name ?? "username";
        const passwordField = login.inputs.find((i) => i.type === "password")!.name;
        body.set(userField, credentials.username);
        body.set(passwordField, credentials.password);
        request = { url: new URL(login.action, request.url).toString(), method: "POST", body };
        continue;
      }
      const decision = forms.find((f) => f.method === "post" && f.inputs.some((i) => i.name === "action"));
      if (response.status === 200 && decision) {
        request = {
          url: new URL(decision.action, request.url).toString(),
          method: "POST",
          body: decide(decision, options),
        };
        continue;
      }
      const text = page
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .trim();
      return { stopped: `HTTP ${response.status} at ${new URL(request.url).pathname}: ${text.slice(0, 200)}` };
    }
    return { stopped: `more than ${MAX_STEPS} steps without reaching the redirect URI` };
  }

  #isRedirectUri(url: string): boolean {
    const target = new URL(url);
    const registered = new URL(this.#redirectUri);
    return target.origin === registered.origin && target.pathname === registered.pathname;
  }

  async close(): Promise<void> {}
}

/** The fields of an approval (or patient picker) form: pick the patient, else approve the kept scopes. */
function decide(form: HtmlForm, options: AuthorizeOptions): URLSearchParams {
  const body = new URLSearchParams(hiddenFields(form));
  const patients = form.inputs.filter((i) => i.type === "radio" && i.name === "patient");
  const actions = form.inputs.filter((i) => i.name === "action").map((i) => i.value);
  if (patients.length > 0 && actions.includes("pick")) {
    const chosen =
      patients.find((p) => p.value === options.patientId) ?? patients.find((p) => p.checked) ?? patients[0]!;
    body.set("patient", chosen.value);
    body.set("action", "pick");
    return body;
  }
  const keep = options.keepScope ?? (() => true);
  for (const box of form.inputs.filter((i) => i.type === "checkbox" && i.name === "scope"))
    if (keep(box.value)) body.append("scope", box.value);
  body.set("action", actions.includes("approve") ? "approve" : (actions[0] ?? "approve"));
  return body;
}

/**
 * Against a server whose forms the suite cannot fill in: prints the authorize URL and waits,
 * for a bounded time, for the browser's redirect on a local listener at the redirect URI.
 */
export class ManualDriver implements AuthorizationDriver {
  readonly #redirectUri: URL;
  readonly #timeoutMs: number;
  readonly #print: (line: string) => void;

  constructor(options: { redirectUri: string; timeoutSeconds: number; print: (line: string) => void }) {
    this.#redirectUri = new URL(options.redirectUri);
    if (
      this.#redirectUri.protocol !== "http:" ||
      !/^(127\.0\.0\.1|localhost|\[::1\])$/.test(this.#redirectUri.hostname)
    )
      throw new Error("manual launches need an http://127.0.0.1 or http://localhost redirect URI to listen on");
    this.#timeoutMs = options.timeoutSeconds * 1000;
    this.#print = options.print;
  }

  async authorize(url: string, options: AuthorizeOptions): Promise<AuthorizeOutcome> {
    const path = this.#redirectUri.pathname;
    let settle: (outcome: AuthorizeOutcome) => void = () => {};
    const outcome = new Promise<AuthorizeOutcome>((resolve) => (settle = resolve));
    const server = createServer((req, res) => {
      const received = new URL(req.url ?? "/", this.#redirectUri);
      if (req.method !== "GET" || received.pathname !== path) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("Received; you can close this window.\n");
      settle({ redirect: received });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(Number(this.#redirectUri.port || 80), this.#redirectUri.hostname.replace(/^\[|\]$/g, ""), resolve);
    });
    this.#print(`\nOpen this URL in a browser and sign in as the ${options.user}:\n  ${url}`);
    if (options.instruction) this.#print(`  ${options.instruction}`);
    this.#print(`Waiting up to ${this.#timeoutMs / 1000} s for the redirect to ${this.#redirectUri.origin}${path} …`);
    const timer = setTimeout(() => settle({ stopped: "no redirect arrived in time" }), this.#timeoutMs);
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async close(): Promise<void> {}
}
