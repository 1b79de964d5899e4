/**
 * What the consent decision asks about wallet-held consents (see the "Wallet-bound consents"
 * contract of issue 18): for a patient with a linked wallet, a Consent counts only when the
 * wallet's own signed grant of its commitment is active on chain.
 */
export interface WalletConsentCheck {
  /** The wallet linked to "Patient/P", lower-case; undefined when the patient has none. */
  walletOf(patient: string): string | undefined;
  /** Whether `consent` carries a commitment that matches its content and that `wallet` has granted on chain, unexpired at `now`. */
  honoured(consent: Record<string, unknown>, wallet: string, now: Date): boolean;
  /** Bumps whenever an answer of walletOf or honoured may have changed (chain event, link, unlink). */
  version(): number;
}
