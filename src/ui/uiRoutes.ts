import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { html } from "hono/html";
import type { AccountStore } from "../accounts/AccountStore.ts";
import { BackoffLimiter, type BackoffPolicy } from "../accounts/BackoffLimiter.ts";
import { LoginThrottle } from "../accounts/LoginThrottle.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { CookiePageSession } from "./CookiePageSession.ts";
import { peerAddress } from "./clientAddress.ts";
import { readForm } from "./forms.ts";
import { layout } from "./layout.ts";
import { pageHeaders } from "./pageHeaders.ts";
import { registerAccessLog } from "./pages/accessLog.ts";
import { registerAccount } from "./pages/account.ts";
import { registerActivation } from "./pages/activate.ts";
import { registerActivationCodes } from "./pages/activationCodes.ts";
import { registerAdmin } from "./pages/admin.ts";
import { registerBreakGlass } from "./pages/breakGlass.ts";
import { registerConnectedApps } from "./pages/connectedApps.ts";
import { registerConsents } from "./pages/consents.ts";
import { registerHome } from "./pages/home.ts";
import { registerLogin } from "./pages/login.ts";
import { registerLogout } from "./pages/logout.ts";
import { registerPatientRecords } from "./pages/patientRecords.ts";
import { registerRegistration } from "./pages/register.ts";
import { registerRequestAccess } from "./pages/requestAccess.ts";
import type { AccountEvent, ClientAdmin, ConsentPortal, PatientRegistrar, UserGrants } from "./ports.ts";
import type { UiContext, UiDeps, UiEnv } from "./UiContext.ts";

export interface UiRoutesOptions {
  users: AccountStore;
  /** The same instance the OAuth authorize endpoint is given as its PageSession. */
  session: CookiePageSession;
  patients: PatientRegistrar;
  clients: ClientAdmin;
  grants: UserGrants;
  /**
   * The consent pages' port on the FHIR engine (src/server/consentPortal/consentPortalOf.ts):
   * /consents, /access-log (patients), /request-access, /patients/:id, /break-glass
   * (practitioners). Absent: those pages are not served.
   */
  consents?: ConsentPortal;
  /** The FHIR base URL, no trailing slash (the home page lists the SMART endpoints under it). */
  baseUrl: () => string;
  /** Login and activation-code limits; one per server (tests pass their own clock). */
  throttle?: LoginThrottle;
  /** Self-registrations per address (each creates a Patient): after 5, a wait of 1 minute, doubling, up to an hour. */
  registrations?: BackoffLimiter;
  /** The client's address for rate limits; by default the socket's peer (@hono/node-server's env.incoming). */
  clientAddress?: (c: Context) => string;
  /** Largest form body; more is a 413. 16 KiB by default. */
  maxFormBytes?: number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Each account event (sign-in, failed sign-in, account and app changes), for the audit trail. */
  onEvent?: (event: AccountEvent) => void | Promise<void>;
}

/** FhirLedgerError codes whose message a page shows, with their status. */
const SHOWN: Partial<Record<string, number>> = {
  invalid: 400,
  "bad-request": 400,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
};

export const REGISTRATION_LIMIT: BackoffPolicy = Object.freeze({
  freeFailures: 5,
  baseDelayMs: 60_000,
  maxDelayMs: 3600_000,
  forgetAfterMs: 3600_000,
  maxKeys: 10_000,
});

/** The paths uiRoutes answers (to route them to it ahead of the FHIR routes). */
export const UI_PATHS = [
  "/",
  "/login",
  "/logout",
  "/register",
  "/activate",
  "/admin",
  "/activation-codes",
  "/apps",
  "/account",
  "/consents",
  "/access-log",
  "/request-access",
  "/break-glass",
];

/**
 * Whether `pathname` is one of the pages, a form action under /admin, /apps, /account or
 * /consents, or a practitioner's /patients/<id> (lower case: FHIR types start upper case).
 */
export function isUiPath(pathname: string): boolean {
  return UI_PATHS.includes(pathname) || /^\/(admin|apps|account|consents|patients)\//.test(pathname);
}

/**
 * Whether a request is for the pages rather than the FHIR API: any method on a page path,
 * except "/", which is the FHIR base too: there only a GET or HEAD that accepts text/html (a
 * browser) is a page; FHIR clients ask for JSON.
 */
export function isUiRequest(method: string, pathname: string, accept: string | undefined): boolean {
  if (pathname !== "/") return isUiPath(pathname);
  return (method === "GET" || method === "HEAD") && /\btext\/html\b/i.test(accept ?? "");
}

/**
 * The server-rendered pages: home, sign-in and out, patient registration and activation, the
 * administration page, activation codes, connected apps and the user's own account. Every
 * page has the layout's accessibility and PAGE_HEADERS; every POST is a form of at most
 * `maxFormBytes` with this session's CSRF token (403 otherwise). Mount at "/" for the
 * requests isUiRequest picks.
 */
export function uiRoutes(options: UiRoutesOptions): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  const session = options.session;
  const deps: UiDeps = {
    users: options.users,
    session,
    throttle: options.throttle ?? new LoginThrottle(),
    registrations: options.registrations ?? new BackoffLimiter(REGISTRATION_LIMIT),
    patients: options.patients,
    clients: options.clients,
    grants: options.grants,
    baseUrl: options.baseUrl,
    clientAddress: options.clientAddress ?? peerAddress,
    event: async (c, event) => {
      if (!options.onEvent) return;
      try {
        await options.onEvent({ ...event, address: deps.clientAddress(c) });
      } catch (error) {
        options.log?.("error", `recording the account event ${event.type} failed: ${(error as Error).name}`);
      }
    },
    page: async (c, title, body, status = 200) =>
      c.html(await layout(title, body, { user: c.get("user"), csrf: c.get("csrf") }), status as 200),
  };

  app.use("*", pageHeaders);
  app.use("*", async function loadSession(c, next) {
    c.set("user", await session.user(c));
    c.set("csrf", await session.csrfToken(c));
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxFormBytes ?? 16 * 1024,
      onError: (c) => c.html(layout("Too large", html`<p>The form sent is too large.</p>`), 413),
    }),
  );
  app.use("*", async function checkForm(c, next) {
    if (c.req.method !== "POST") return next();
    const form = await readForm(c);
    if (!(await session.checkCsrf(c, form._csrf))) {
      return deps.page(
        c,
        "Form expired",
        html`<p>This form has expired or was not sent from this site, so nothing was done. Go back, reload the page and try again.</p>`,
        403,
      );
    }
    c.set("form", form);
    await next();
  });

  registerHome(app, deps);
  registerLogin(app, deps);
  registerLogout(app, deps);
  registerRegistration(app, deps);
  registerActivation(app, deps);
  registerAdmin(app, deps);
  registerActivationCodes(app, deps);
  registerConnectedApps(app, deps);
  registerAccount(app, deps);
  if (options.consents) {
    registerConsents(app, deps, options.consents);
    registerAccessLog(app, deps, options.consents);
    registerRequestAccess(app, deps, options.consents);
    registerPatientRecords(app, deps, options.consents);
    registerBreakGlass(app, deps, options.consents);
  }

  app.notFound((c) => deps.page(c, "Not found", html`<p>There is no page here. <a href="/">Home</a></p>`, 404));
  app.onError((error, c) => {
    // A port's refusal (an app that is gone, a bad value) is the user's to read: its message is safe by contract.
    if (error instanceof FhirLedgerError && Object.hasOwn(SHOWN, error.code))
      return deps.page(
        c as UiContext,
        "Not done",
        html`<p>${error.message}</p><p><a href="/">Home</a></p>`,
        SHOWN[error.code],
      );
    // Anything else may hold anything; the log gets its class only, the page nothing.
    options.log?.("error", `page ${c.req.method} ${c.req.path.slice(0, 100)} failed: ${error.name}`);
    return c.html(layout("Something went wrong", html`<p>Something went wrong on our side. Try again later.</p>`), 500);
  });
  return app;
}
