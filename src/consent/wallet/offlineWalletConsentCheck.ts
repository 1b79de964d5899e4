import type { WalletLinkView } from "./chainWalletConsentCheck.ts";
import type { WalletConsentCheck } from "./WalletConsentCheck.ts";

/**
 * The WalletConsentCheck of a server started without a chain to follow (an in-memory ledger,
 * or the wallet part not configured): linked patients stay linked, and none of their consents
 * counts, since no wallet grant can be checked. Leaving the check out instead would let every
 * Consent of a wallet-linked patient count, operator-written ones included.
 */
export function offlineWalletConsentCheck(links: WalletLinkView): WalletConsentCheck {
  return {
    walletOf: (patient) => links.walletOf(patient),
    honoured: () => false,
    version: () => links.version(),
  };
}
