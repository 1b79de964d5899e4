import type { Context } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AccountStore } from "../accounts/AccountStore.ts";
import type { BackoffLimiter } from "../accounts/BackoffLimiter.ts";
import type { LoginThrottle } from "../accounts/LoginThrottle.ts";
import type { CookiePageSession } from "./CookiePageSession.ts";
import type { Form } from "./forms.ts";
import type { AccountEvent, ClientAdmin, PatientRegistrar, SessionUser, UserGrants } from "./ports.ts";

/** What the page handlers share: the Hono variables of a UI request. */
export type UiEnv = { Variables: { user: SessionUser | undefined; csrf: string; form: Form } };

export type UiContext = Context<UiEnv>;

/** What every page handler is given. */
export interface UiDeps {
  users: AccountStore;
  session: CookiePageSession;
  throttle: LoginThrottle;
  /** Patient self-registrations per client address (each creates a Patient resource). */
  registrations: BackoffLimiter;
  patients: PatientRegistrar;
  clients: ClientAdmin;
  grants: UserGrants;
  /** The FHIR base URL, no trailing slash. */
  baseUrl: () => string;
  clientAddress: (c: Context) => string;
  /** Tells the audit trail what happened; never fails the page (a failure is logged). */
  event(c: UiContext, event: Omit<AccountEvent, "address">): Promise<void>;
  /** Renders `body` in the layout with the signed-in user's header. */
  page(
    c: UiContext,
    title: string,
    body: HtmlEscapedString | Promise<HtmlEscapedString> | string,
    status?: number,
  ): Promise<Response>;
}
