import type { Context, Hono } from "hono";
import { ensureFirstAdmin } from "../accounts/ensureFirstAdmin.ts";
import { type Accounts, openAccounts } from "../accounts/openAccounts.ts";
import type { ScryptParams } from "../accounts/passwordHash.ts";
import type { Config } from "../config/loadConfig.ts";
import { forwardedClientAddress, peerAddress } from "./clientAddress.ts";
import { CookiePageSession } from "./CookiePageSession.ts";
import type { AccountEvent, ClientAdmin, ConsentPortal, PatientRegistrar, UserGrants } from "./ports.ts";
import type { UiEnv } from "./UiContext.ts";
import { uiRoutes } from "./uiRoutes.ts";

/** The accounts part, open and ready to mount. */
export interface AccountsUi {
  /** The pages; mount at "/" ahead of the FHIR routes for the paths isUiPath() names. */
  app: Hono<UiEnv>;
  /** The PageSession the OAuth authorize endpoint is given. */
  session: CookiePageSession;
  accounts: Accounts;
  /** What start-up did about the first administrator. */
  firstAdmin: "created" | "exists" | "not-configured";
  close(): void;
}

/**
 * Opens `config.accounts.sqlitePath`, creates the configured first administrator if there is
 * no administrator yet, and builds the pages and their session. Cookies are Secure and
 * `__Host-` prefixed when the server is reached over https (a https base URL, or TLS here).
 * Behind a TLS proxy, rate limits count the address the proxy forwards.
 */
export async function openAccountsUi(options: {
  config: Config;
  baseUrl: () => string;
  patients: PatientRegistrar;
  clients: ClientAdmin;
  grants: UserGrants;
  /** The consent pages' port (consentPortalOf(engine, baseUrl)); absent: no consent pages. */
  consents?: ConsentPortal;
  clientAddress?: (c: Context) => string;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Each account event, for the audit trail. */
  onEvent?: (event: AccountEvent) => void | Promise<void>;
  /** Tests only: a cheaper scrypt cost than DEFAULT_SCRYPT. */
  scrypt?: ScryptParams;
}): Promise<AccountsUi> {
  const { config } = options;
  const accounts = openAccounts(config.accounts.sqlitePath, options.scrypt ? { scrypt: options.scrypt } : {});
  try {
    const firstAdmin = await ensureFirstAdmin(accounts.users, config.accounts.firstAdmin);
    const secure = config.http.publicBaseUrl?.startsWith("https://") === true || config.tls.certPath !== null;
    const session = new CookiePageSession({ users: accounts.users, sessions: accounts.sessions, secure });
    const app = uiRoutes({
      users: accounts.users,
      session,
      patients: options.patients,
      clients: options.clients,
      grants: options.grants,
      ...(options.consents ? { consents: options.consents } : {}),
      baseUrl: options.baseUrl,
      clientAddress: options.clientAddress ?? (config.tls.behindProxy ? forwardedClientAddress : peerAddress),
      ...(options.log ? { log: options.log } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { app, session, accounts, firstAdmin, close: () => accounts.close() };
  } catch (error) {
    accounts.close();
    throw error;
  }
}
