import type { Actor } from "../auth/Actor.ts";

/** Who the accessor is for consent matching (consent-spec.md, "Matching one provision"). */
export interface AccessorContext {
  /** "Practitioner/X", "RelatedPerson/R", "Patient/P": the caller's own resource */
  fhirUser?: string;
  /** The PractitionerRoles, Organizations (through an active role) and CareTeams the caller belongs to ("Type/id"). */
  memberships: readonly string[];
  /** The purpose of use (v3 ActReason code): `TREAT` unless the request says otherwise. */
  purpose: string;
}

/**
 * Where the consent core gets the consents that concern a caller (implemented over the index
 * by the consent directory; in memory in tests).
 */
export interface ConsentSource {
  /**
   * Counting consents that may concern this actor (a matching actor anywhere in their
   * provisions, or no actor at all), the actor's memberships (PractitionerRole/Organization/
   * CareTeam refs), and a version that changes whenever a Consent, PractitionerRole or CareTeam
   * is committed or a wallet/chain status changes.
   */
  consentsFor(
    actor: Actor,
  ): Promise<{ consents: readonly Record<string, unknown>[]; accessor: AccessorContext; version: number }>;
}

/**
 * The chain's word on wallet-bound consents (consent-spec.md, "Wallet-bound consents";
 * implemented by the wallet part): for a patient who linked a wallet, a Consent counts only
 * while `honoured` (its commitment active on chain with the wallet as controller, not expired).
 */
export interface WalletConsentCheck {
  /** The linked address (lower-case) of a patient ("Patient/P"), if any. */
  walletOf(patient: string): string | undefined;
  honoured(consent: Record<string, unknown>, wallet: string, now: Date): boolean;
  /** Bumps on every chain event followed. */
  version(): number;
}
