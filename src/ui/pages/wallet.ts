import type { Context } from "hono";
import { Hono } from "hono";
import { html } from "hono/html";
import type { WalletConsents, WalletConsentSummary, WalletUser } from "../../consent/wallet/WalletConsents.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { CookiePageSession } from "../CookiePageSession.ts";
import { layout } from "../layout.ts";
import { PAGE_HEADERS } from "../pageHeaders.ts";
import type { SessionUser } from "../ports.ts";
import { WALLET_SCRIPT } from "./walletScript.ts";

export interface WalletRoutesOptions {
  session: CookiePageSession;
  wallet: WalletConsents;
  /** Largest JSON body accepted; more is a 413. 4 KiB by default. */
  maxBodyBytes?: number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export type WalletEnv = { Variables: { user: SessionUser | undefined; csrf: string } };

/** The page CSP plus this origin's scripts (the wallet script) and fetches (its JSON calls). */
const WALLET_CSP = `${PAGE_HEADERS["Content-Security-Policy"]}; script-src 'self'; connect-src 'self'`;

const STATUS: Partial<Record<string, number>> = {
  invalid: 400,
  "bad-request": 400,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "precondition-failed": 409,
  "too-large": 413,
  "unsupported-media-type": 415,
  unavailable: 503,
};

/** Whether `pathname` is the wallet page or one of its calls (to route it here ahead of the FHIR routes). */
export function isWalletPath(pathname: string): boolean {
  return pathname === "/wallet" || pathname.startsWith("/wallet/");
}

/**
 * GET /wallet, the patient's wallet page (link, unlink; grant and revoke wallet-held consents),
 * its script, and its JSON calls under /wallet/…: each needs a signed-in patient, and each POST
 * a JSON body of at most `maxBodyBytes` and the session's CSRF token in `X-CSRF-Token`.
 */
export function walletRoutes(options: WalletRoutesOptions): Hono<WalletEnv> {
  const app = new Hono<WalletEnv>();
  const { session, wallet } = options;
  const maxBody = options.maxBodyBytes ?? 4096;

  app.use("*", async function headers(c, next) {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
    c.header("Content-Security-Policy", WALLET_CSP);
    c.set("user", await session.user(c));
    c.set("csrf", await session.csrfToken(c));
    await next();
  });

  app.get("/wallet/wallet.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(WALLET_SCRIPT);
  });

  app.get("/wallet", async (c) => {
    const user = c.get("user");
    if (!user) return c.redirect(`/login?next=${encodeURIComponent("/wallet")}`, 303);
    const patient = patientOf(user);
    if (!patient)
      return c.html(
        await layout("Not allowed", html`<p>Only patients hold consents with a wallet.</p>`, pageOptions(c)),
        403,
      );
    const overview = await wallet.overview(patient);
    return c.html(await layout("Your wallet", walletBody(c.get("csrf"), overview), pageOptions(c)));
  });

  app.get("/wallet/state", async (c) => c.json(await wallet.overview(requirePatient(c))));

  const post = (
    path: string,
    handle: (user: WalletUser, body: Record<string, unknown>, c: Context) => Promise<unknown>,
  ) =>
    app.post(path, async (c) => {
      const user = requirePatient(c);
      if (!(await session.checkCsrf(c, c.req.header("x-csrf-token"))))
        throw new FhirLedgerError("forbidden", "this request was not sent from the wallet page: reload it");
      const body = await readJson(c, maxBody);
      return c.json((await handle(user, body, c)) ?? { ok: true });
    });

  post("/wallet/link/challenge", async (user, body, c) =>
    wallet.linkChallenge(user, body.address, new URL(c.req.url).origin),
  );
  post("/wallet/link", async (user, body) => ({ wallet: await wallet.link(user, body.nonce, body.signature) }));
  post("/wallet/unlink", async (user) => {
    await wallet.unlink(user);
  });
  post("/wallet/grant/prepare", async (user, body) => wallet.prepareGrant(user, body.consentId, body.expiresAt));
  post("/wallet/grant", async (user, body) => ({
    consent: (await wallet.submitGrant(user, body.id, body.signature)).id,
  }));
  post("/wallet/revoke/prepare", async (user, body) => wallet.prepareRevoke(user, body.consentId));
  post("/wallet/revoke", async (user, body) => ({
    consent: (await wallet.submitRevoke(user, body.id, body.signature)).id,
  }));

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((error, c) => {
    if (error instanceof FhirLedgerError && error.code === "unauthorized")
      return c.json({ error: "sign in first" }, 401);
    if (error instanceof FhirLedgerError && STATUS[error.code] !== undefined)
      return c.json({ error: error.message }, STATUS[error.code] as 400);
    // Anything else may hold anything: the log gets its class only, the answer nothing.
    options.log?.("error", `wallet ${c.req.method} ${c.req.path.slice(0, 100)} failed: ${error.name}`);
    return c.json({ error: "something went wrong on our side" }, 500);
  });
  return app;
}

function pageOptions(c: Context<WalletEnv>) {
  return { user: c.get("user"), csrf: c.get("csrf") };
}

/** The signed-in patient, or undefined for anyone else. */
function patientOf(user: SessionUser): WalletUser | undefined {
  if (user.role !== "patient" || !user.fhirUser?.startsWith("Patient/")) return undefined;
  return { userId: user.userId, patient: user.fhirUser };
}

function requirePatient(c: Context<WalletEnv>): WalletUser {
  const user = c.get("user");
  if (!user) throw new FhirLedgerError("unauthorized", "sign in first");
  const patient = patientOf(user);
  if (!patient) throw new FhirLedgerError("forbidden", "only patients hold consents with a wallet");
  return patient;
}

async function readJson(c: Context, max: number): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(c.req.header("content-type") ?? ""))
    throw new FhirLedgerError("unsupported-media-type", "send JSON");
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > max) throw new FhirLedgerError("too-large", "the request is too large");
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > max) throw new FhirLedgerError("too-large", "the request is too large");
  let value: unknown;
  try {
    value = bytes.length === 0 ? {} : JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new FhirLedgerError("bad-request", "the body is not JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new FhirLedgerError("bad-request", "the body must be a JSON object");
  return value as Record<string, unknown>;
}

function walletState(c: WalletConsentSummary): string {
  if (c.honoured)
    return `held by your wallet${c.chainExpiresAt && BigInt(c.chainExpiresAt) < 2n ** 63n ? ` until ${new Date(Number(c.chainExpiresAt) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC` : ""}`;
  if (c.walletHeld && c.chainExpiresAt === undefined) return "revoked or not granted on chain: does not count";
  if (c.walletHeld) return "does not count (changed, expired or not active)";
  return "not signed with a wallet: does not count while a wallet is linked";
}

function walletBody(csrf: string, o: { wallet: string | null; consents: WalletConsentSummary[] }) {
  const linked = o.wallet
    ? html`<p>Linked wallet: <code>${o.wallet}</code>. Your consents count only when this wallet has signed them, and you can revoke them from the wallet, even without this site.</p>
<p><button class="secondary" type="button" data-action="unlink" disabled>Unlink the wallet</button></p>`
    : html`<p>No wallet is linked. Linking one means your consents count only with your wallet's signature: not even this server's operator can grant, change or extend one for you.</p>
<p><button type="button" data-action="link" disabled>Link a wallet</button></p>`;
  const rows = o.consents.map((c) => {
    const action = !o.wallet
      ? ""
      : c.honoured
        ? html`<button class="secondary" type="button" data-action="revoke" data-consent="${c.id}" disabled>Revoke with wallet<span class="visually-hidden"> consent ${c.id}</span></button>`
        : c.status !== "entered-in-error"
          ? html`<button type="button" data-action="grant" data-consent="${c.id}" disabled>Grant with wallet<span class="visually-hidden"> consent ${c.id}</span></button>`
          : "";
    return html`<tr data-consent-row="${c.id}"><td><code>${c.id}</code><br>Who: ${c.actors.length > 0 ? c.actors.join(", ") : "anyone"}<br>What: ${c.classes.length > 0 ? c.classes.join(", ") : "all records"}<br>Until: ${c.periodEnd ?? "no end"}</td>
<td>${c.status}${o.wallet ? html`<br><span class="hint">${walletState(c)}</span>` : ""}</td><td>${action}</td></tr>`;
  });
  return html`<div id="wallet" data-csrf="${csrf}" data-wallet="${o.wallet ?? ""}">
<noscript><p class="alert">This page needs JavaScript and an Ethereum wallet in the browser.</p></noscript>
<p id="wallet-status" role="status" aria-live="polite"></p>
${linked}
<h2>Your consents</h2>
${
  o.consents.length === 0
    ? html`<p>You have no consents yet.</p>`
    : html`<div class="table-wrap"><table><caption class="visually-hidden">Your consents and their wallet signatures</caption>
<thead><tr><th scope="col">Consent</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
</div>
<script src="/wallet/wallet.js"></script>`;
}
