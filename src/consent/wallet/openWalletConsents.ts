import type { Hono } from "hono";
import type { FhirEngine } from "../../fhir/engine/FhirEngine.ts";
import type { Logger } from "../../ports/Logger.ts";
import type { CookiePageSession } from "../../ui/CookiePageSession.ts";
import { type WalletEnv, walletRoutes } from "../../ui/pages/wallet.ts";
import { ChainConsentFollower } from "./ChainConsentFollower.ts";
import { chainWalletConsentCheck } from "./chainWalletConsentCheck.ts";
import { ConsentRelay } from "./ConsentRelay.ts";
import { engineConsentRecords } from "./engineConsentRecords.ts";
import { LinkChallenges } from "./LinkChallenges.ts";
import type { WalletConsentCheck } from "./WalletConsentCheck.ts";
import { type WalletEvent, WalletConsents } from "./WalletConsents.ts";
import { openWalletLinks } from "./WalletLinks.ts";

export interface OpenWalletConsentsOptions {
  /** The chain's JSON-RPC endpoint (the embedded anvil's rpcUrl, or the configured one). */
  rpcUrl: string;
  /** The deployed ConsentRegistry. */
  registryAddress: string;
  /** Its deployment block (0 when unknown: the follower then reads from genesis). */
  fromBlock?: number;
  /** Pays for relayed grantBySig/revokeBySig; needs no role; must not be the anchoring key. */
  relayerKey: string;
  /** accounts.sqlite (config.accounts.sqlitePath): the wallet_links table lives there. */
  accountsPath: string;
  engine: FhirEngine;
  baseUrl: () => string;
  /** The pages' session (openAccountsUi's `session`). */
  session: CookiePageSession;
  /** How long start-up waits for the follower to catch up; after it, start-up goes on and wallet-held consents count once it has. 30 s by default. */
  catchUpMs?: number;
  /** Each link, unlink, grant and revocation, for the audit trail. */
  onEvent?: (event: WalletEvent) => void | Promise<void>;
  log?: Logger;
}

export interface WalletConsentsPart {
  /** For the consent decision (FHIRLEDGER consent core): walletOf, honoured, version. */
  check: WalletConsentCheck;
  /** GET /wallet and /wallet/… (route requests for which isWalletPath(pathname) holds here). */
  routes: Hono<WalletEnv>;
  service: WalletConsents;
  follower: ChainConsentFollower;
  close(): Promise<void>;
}

/**
 * Wallet-held consents in one call: the chain follower (caught up before this resolves), the
 * relay, the wallet links in accounts.sqlite, the grant/revoke flows acting as the patient
 * through the engine, the WalletConsentCheck for the consent decision, and the /wallet routes.
 */
export async function openWalletConsents(o: OpenWalletConsentsOptions): Promise<WalletConsentsPart> {
  const follower = new ChainConsentFollower({
    rpcUrl: o.rpcUrl,
    registryAddress: o.registryAddress,
    fromBlock: o.fromBlock ?? 0,
    ...(o.log ? { log: o.log.child({ component: "consent-follower" }) } : {}),
  });
  const links = openWalletLinks(o.accountsPath);
  let relay: ConsentRelay | undefined;
  try {
    const caughtUp = await Promise.race([
      follower.start().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), o.catchUpMs ?? 30_000).unref()),
    ]);
    if (!caughtUp)
      o.log?.warn("ConsentRegistry events are not caught up yet: wallet-held consents count once they are");
    relay = new ConsentRelay({ rpcUrl: o.rpcUrl, registryAddress: o.registryAddress, privateKey: o.relayerKey });
  } catch (error) {
    await follower.close();
    links.close();
    throw error;
  }
  const check = chainWalletConsentCheck({ links, chain: follower });
  const service = new WalletConsents({
    links,
    challenges: new LinkChallenges(),
    records: engineConsentRecords(o.engine, o.baseUrl),
    relay,
    chain: follower,
    check,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
  const log = o.log?.child({ component: "wallet" });
  const routes = walletRoutes({
    session: o.session,
    wallet: service,
    ...(log ? { log: (level: "info" | "warn" | "error", message: string) => log[level](message) } : {}),
  });
  const openRelay = relay;
  return {
    check,
    routes,
    service,
    follower,
    async close() {
      await follower.close();
      openRelay.close();
      links.close();
    },
  };
}
