import { openAccounts } from "../../src/accounts/openAccounts.ts";
import { FAST_SCRYPT } from "../../src/accounts/testSupport/fastScrypt.ts";
import { LoginThrottle } from "../../src/accounts/LoginThrottle.ts";
import { CookiePageSession } from "../../src/ui/CookiePageSession.ts";
import { FakeClientAdmin, FakePatientRegistrar, FakeUserGrants } from "../../src/ui/testSupport/fakes.ts";
import type { AccountEvent, ConsentPortal } from "../../src/ui/ports.ts";
import { uiRoutes } from "../../src/ui/uiRoutes.ts";

export const GOOD_PASSWORD = "violet tractor under moonlight";

/** The pages over an in-memory accounts.sqlite and fake OAuth/FHIR ports, in one call. */
export function uiTestServer(
  options: { https?: boolean; clientAddress?: () => string; now?: () => number; consents?: ConsentPortal } = {},
) {
  const accounts = openAccounts(":memory:", { scrypt: FAST_SCRYPT, ...(options.now ? { now: options.now } : {}) });
  const session = new CookiePageSession({
    users: accounts.users,
    sessions: accounts.sessions,
    secure: options.https === true,
  });
  const patients = new FakePatientRegistrar();
  const clients = new FakeClientAdmin();
  const grants = new FakeUserGrants();
  const throttle = new LoginThrottle();
  const events: AccountEvent[] = [];
  const origin = options.https ? "https://ehr.example.org" : "http://localhost:8080";
  const app = uiRoutes({
    users: accounts.users,
    session,
    patients,
    clients,
    grants,
    ...(options.consents ? { consents: options.consents } : {}),
    throttle,
    baseUrl: () => `${origin}/fhir`,
    clientAddress: options.clientAddress ?? (() => "192.0.2.1"),
    onEvent: (event) => {
      events.push(event);
    },
  });
  return { app, accounts, users: accounts.users, session, patients, clients, grants, origin, events };
}

/** A browser: keeps its cookies, and the CSRF token of the last page it read. */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf = "";
  readonly app: { request(input: string, init?: RequestInit): Response | Promise<Response> };
  readonly origin: string;
  constructor(app: Browser["app"], origin: string) {
    this.app = app;
    this.origin = origin;
  }

  async get(path: string): Promise<{ res: Response; body: string }> {
    return this.#send(path, { method: "GET" });
  }

  /** Posts a form with this browser's CSRF token unless `_csrf` is given. */
  async post(path: string, fields: Record<string, string>): Promise<{ res: Response; body: string }> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields });
    return this.#send(path, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }

  async #send(path: string, init: RequestInit): Promise<{ res: Response; body: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const body = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1]!;
    return { res, body };
  }
}

/** Signs `browser` in through the login form; throws unless it worked. */
export async function signIn(browser: Browser, username: string, password = GOOD_PASSWORD): Promise<void> {
  await browser.get("/login");
  const { res } = await browser.post("/login", { username, password });
  if (res.status !== 303) throw new Error(`sign-in of ${username} answered ${res.status}`);
}
