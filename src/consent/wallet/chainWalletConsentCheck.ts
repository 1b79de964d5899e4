import { patientCommitment } from "../consentTypedData.ts";
import type { ChainConsent } from "./ChainConsentFollower.ts";
import { commitmentExtensions, consentCommitment } from "./consentCommitment.ts";
import type { WalletConsentCheck } from "./WalletConsentCheck.ts";

/** What chainWalletConsentCheck reads the chain through (ChainConsentFollower). */
export interface ChainConsentView {
  consent(key: string): ChainConsent | undefined;
  fresh(): boolean;
  version(): number;
}

/** What chainWalletConsentCheck reads links through (WalletLinks). */
export interface WalletLinkView {
  walletOf(patient: string): string | undefined;
  version(): number;
}

/**
 * The WalletConsentCheck over the linked wallets and the followed chain. A Consent is honoured
 * only when all of these hold, so the operator, who can write any Consent and send any operator
 * transaction, can neither forge, alter nor extend one:
 * - it carries a commitment and salt, and the commitment is that of its current content
 *   (altered after signing: no longer matches);
 * - the chain holds the wallet's own grant of that commitment (the key is bound to the wallet,
 *   so an operator `grant` of any key has controller zero and does not count);
 * - the chain's expiry and the Consent's own period end are both still ahead (extending the
 *   period changes the commitment; the chain's expiry caps it anyway);
 * - the chain follower is caught up and fresh (an unreachable chain could hide a revocation).
 */
export function chainWalletConsentCheck(parts: { links: WalletLinkView; chain: ChainConsentView }): WalletConsentCheck {
  const { links, chain } = parts;
  // Whether a Consent object's commitment matches its content: computed once per object (decisions see the same objects again).
  const matches = new WeakMap<object, string | null>();
  const committedKey = (consent: Record<string, unknown>): string | null => {
    const known = matches.get(consent);
    if (known !== undefined) return known;
    let result: string | null = null;
    const ext = commitmentExtensions(consent);
    if (ext) {
      try {
        if (consentCommitment(consent, ext.salt) === ext.commitment) result = ext.commitment;
      } catch {
        result = null; // no canonical form: cannot have been signed
      }
    }
    matches.set(consent, result);
    return result;
  };
  return {
    walletOf: (patient) => links.walletOf(patient),
    honoured(consent, wallet, now) {
      const commitment = committedKey(consent);
      if (commitment === null || !chain.fresh()) return false;
      const wallet_ = wallet.toLowerCase();
      const granted = chain.consent(patientCommitment(commitment, wallet_));
      if (!granted || granted.controller !== wallet_) return false;
      const nowMs = now.getTime();
      if (granted.expiresAt * 1000n <= BigInt(Math.floor(nowMs))) return false;
      const end = periodEnd(consent);
      return end === undefined || end > nowMs;
    },
    version: () => links.version() + chain.version(),
  };
}

/** The root provision's period end in epoch ms; undefined when open; -Infinity when unreadable (fails closed). */
function periodEnd(consent: Record<string, unknown>): number | undefined {
  const provision = consent.provision as { period?: { end?: unknown } } | undefined;
  const end = provision?.period?.end;
  if (end === undefined) return undefined;
  const ms = typeof end === "string" ? Date.parse(end) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}
