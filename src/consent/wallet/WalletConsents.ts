import { randomBytes } from "node:crypto";
import { hexlify, verifyTypedData } from "ethers";
import type { TypedDataDomain, TypedDataField } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { GRANT_TYPES, REVOKE_TYPES, patientCommitment } from "../consentTypedData.ts";
import type { ChainConsent } from "./ChainConsentFollower.ts";
import { commitmentExtensions, consentCommitment, withCommitment } from "./consentCommitment.ts";
import type { LinkChallenge, LinkChallenges } from "./LinkChallenges.ts";
import type { WalletConsentCheck } from "./WalletConsentCheck.ts";
import type { StoredConsent, WalletConsentRecords } from "./WalletConsentRecords.ts";
import type { WalletLinks } from "./WalletLinks.ts";

/** Who acts: the signed-in patient. */
export interface WalletUser {
  userId: string;
  /** "Patient/P". */
  patient: string;
}

/** What the relay does on chain (ConsentRelay). */
export interface RegistryRelay {
  domain(): Promise<TypedDataDomain>;
  nonce(wallet: string): Promise<bigint>;
  chainTime(): Promise<bigint>;
  grantBySig(
    commitment: string,
    expiresAt: bigint,
    patient: string,
    deadline: bigint,
    signature: string,
  ): Promise<string>;
  revokeBySig(key: string, patient: string, deadline: bigint, signature: string): Promise<string>;
}

/** A change the audit trail records (never a signature or salt). */
export interface WalletEvent {
  type: "wallet-linked" | "wallet-unlinked" | "consent-granted" | "consent-revoked";
  userId: string;
  patient: string;
  /** Lower-case address. */
  wallet?: string;
  /** "Consent/<id>". */
  consent?: string;
  txHash?: string;
}

/** An EIP-712 request in the shape eth_signTypedData_v4 takes (bigints as decimal strings). */
export interface TypedDataRequest {
  domain: Record<string, unknown>;
  types: Record<string, TypedDataField[]>;
  primaryType: "Grant" | "Revoke";
  message: Record<string, string>;
}

/** One Consent as the wallet page lists it. */
export interface WalletConsentSummary {
  id: string;
  status: string;
  /** Resource types the root provision names, and its actors. */
  classes: string[];
  actors: string[];
  periodEnd?: string;
  /** Carries a commitment (granted with a wallet once). */
  walletHeld: boolean;
  /** Counts now: commitment matches, the linked wallet's grant is active on chain. */
  honoured: boolean;
  /** The chain's expiry of the grant, seconds since the epoch, as a decimal string. */
  chainExpiresAt?: string;
}

interface Pending {
  kind: "Grant" | "Revoke";
  userId: string;
  patient: string;
  wallet: string;
  consentId: string;
  versionId: number;
  salt?: string;
  domain: TypedDataDomain;
  message: Record<string, string | bigint>;
  expiresAt: number;
}

export interface WalletConsentsOptions {
  links: WalletLinks;
  challenges: LinkChallenges;
  records: WalletConsentRecords;
  relay: RegistryRelay;
  chain: { consent(key: string): ChainConsent | undefined };
  check: WalletConsentCheck;
  onEvent?: (event: WalletEvent) => void | Promise<void>;
  /** How long a prepared signature request may be submitted; 10 minutes by default (also its on-chain deadline). */
  pendingTtlMs?: number;
  /** Prepared requests per account, then the oldest is dropped; 5 by default. All accounts: 10,000. */
  maxPendingPerUser?: number;
  maxPendingTotal?: number;
  /** Consents the page lists; 200 by default. */
  maxListed?: number;
  /** How long a grant waits for the chain follower to see it before answering; 2 s by default. */
  settleMs?: number;
  now?: () => number;
}

const PENDING_ID = /^[0-9a-f]{32}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const CONSENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const MAX_UINT64 = 2n ** 64n - 1n;
const GRANTABLE = new Set(["draft", "proposed", "active", "inactive", "rejected"]);

/**
 * The wallet flows of the patient portal: link a wallet by a signed challenge; grant a Consent
 * by an EIP-712 Grant of its commitment, relayed to ConsentRegistry, after which the Consent
 * carries the commitment and salt and is active; revoke by an EIP-712 Revoke, relayed, after
 * which the Consent is inactive. A signature request is prepared by the server (so the salt
 * and nonce are the server's to choose and remember), single use, bound to the account and to
 * the Consent version it was made for.
 */
export class WalletConsents {
  readonly #o: WalletConsentsOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: WalletConsentsOptions) {
    this.#o = options;
    this.#ttlMs = options.pendingTtlMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The linked wallet and the patient's Consents with their wallet state. */
  async overview(user: WalletUser): Promise<{ wallet: string | null; consents: WalletConsentSummary[] }> {
    const wallet = this.#o.links.walletOf(user.patient) ?? null;
    const consents = await this.#o.records.list(user, this.#o.maxListed ?? 200);
    const now = new Date(this.#now());
    return {
      wallet,
      consents: consents.map((c) => this.#summary(c, wallet, now)),
    };
  }

  linkChallenge(user: WalletUser, address: unknown, site: string): LinkChallenge {
    return this.#o.challenges.issue(user.userId, user.patient, address, site);
  }

  async link(user: WalletUser, nonce: unknown, signature: unknown): Promise<string> {
    const proved = this.#o.challenges.redeem(user.userId, nonce, signature);
    if (proved.patient !== user.patient) throw new FhirLedgerError("invalid", "unknown or expired challenge");
    this.#o.links.link(user.patient, proved.address, user.userId);
    await this.#event({ type: "wallet-linked", userId: user.userId, patient: user.patient, wallet: proved.address });
    return proved.address;
  }

  async unlink(user: WalletUser): Promise<void> {
    const wallet = this.#o.links.walletOf(user.patient);
    if (!this.#o.links.unlink(user.patient)) throw new FhirLedgerError("not-found", "no wallet is linked");
    await this.#event({
      type: "wallet-unlinked",
      userId: user.userId,
      patient: user.patient,
      ...(wallet ? { wallet } : {}),
    });
  }

  /**
   * The EIP-712 Grant the wallet must sign to grant Consent `consentId` until `expiresAt`
   * (seconds; by default the provision's period end, or no end), never past the period end.
   */
  async prepareGrant(
    user: WalletUser,
    consentId: unknown,
    expiresAt?: unknown,
  ): Promise<{ id: string; typedData: TypedDataRequest }> {
    const wallet = this.#wallet(user);
    const consent = await this.#consent(user, consentId);
    const status = String(consent.resource.status);
    if (!GRANTABLE.has(status)) throw new FhirLedgerError("invalid", `a ${status} consent cannot be granted`);
    if (!consent.resource.provision) throw new FhirLedgerError("invalid", "the consent has no provision");
    if (!isPrivacyConsent(consent.resource))
      throw new FhirLedgerError("invalid", "only a privacy consent (scope patient-privacy) decides access");
    // A second grant under a new salt would leave the first one live on chain, where a restored old version could use it.
    const held = commitmentExtensions(consent.resource);
    const live = held ? this.#o.chain.consent(patientCommitment(held.commitment, wallet)) : undefined;
    if (live && live.controller === wallet && live.expiresAt * 1000n > BigInt(this.#now()))
      throw new FhirLedgerError("conflict", "this consent is already granted with your wallet: revoke it first");
    const chainNow = await this.#o.relay.chainTime();
    let expiry = MAX_UINT64;
    const end = consent.resource.provision as { period?: { end?: unknown } };
    if (typeof end.period?.end === "string") {
      const ms = Date.parse(end.period.end);
      if (Number.isNaN(ms)) throw new FhirLedgerError("invalid", "the consent's period end is not a date");
      expiry = BigInt(Math.floor(ms / 1000));
    }
    if (expiresAt !== undefined && expiresAt !== null && expiresAt !== "") {
      const chosen = typeof expiresAt === "number" || typeof expiresAt === "string" ? Number(expiresAt) : Number.NaN;
      if (!Number.isSafeInteger(chosen) || chosen <= 0)
        throw new FhirLedgerError("invalid", "expiresAt must be seconds since 1970");
      if (BigInt(chosen) < expiry) expiry = BigInt(chosen);
    }
    if (expiry <= chainNow) throw new FhirLedgerError("invalid", "the expiry must be in the future");
    const salt = hexlify(randomBytes(32));
    const commitment = consentCommitment(consent.resource, salt);
    const deadline = chainNow + BigInt(Math.ceil(this.#ttlMs / 1000));
    const message = {
      commitment,
      expiresAt: expiry,
      patient: wallet,
      nonce: await this.#o.relay.nonce(wallet),
      deadline,
    };
    return this.#prepare({ kind: "Grant", user, wallet, consent, salt, message });
  }

  /** Relays the signed Grant, then stores the commitment and salt on the Consent and activates it. */
  async submitGrant(user: WalletUser, pendingId: unknown, signature: unknown): Promise<StoredConsent> {
    const pending = this.#take(user, pendingId, signature, "Grant");
    const current = await this.#consent(user, pending.consentId);
    if (current.versionId !== pending.versionId)
      throw new FhirLedgerError("conflict", "the consent changed after the signature was asked for: sign again");
    const m = pending.message;
    const txHash = await this.#o.relay.grantBySig(
      m.commitment as string,
      m.expiresAt as bigint,
      pending.wallet,
      m.deadline as bigint,
      signature as string,
    );
    const updated = await this.#o.records.update(
      user,
      { ...withCommitment(current.resource, m.commitment as string, pending.salt!), status: "active" },
      current.versionId,
    );
    await this.#settle(patientCommitment(m.commitment as string, pending.wallet), true);
    await this.#event({
      type: "consent-granted",
      userId: user.userId,
      patient: user.patient,
      wallet: pending.wallet,
      consent: `Consent/${updated.id}`,
      txHash,
    });
    return updated;
  }

  /** The EIP-712 Revoke the wallet must sign to revoke wallet-held Consent `consentId`. */
  async prepareRevoke(user: WalletUser, consentId: unknown): Promise<{ id: string; typedData: TypedDataRequest }> {
    const wallet = this.#wallet(user);
    const consent = await this.#consent(user, consentId);
    const ext = commitmentExtensions(consent.resource);
    if (!ext) throw new FhirLedgerError("invalid", "this consent was not granted with a wallet");
    const key = patientCommitment(ext.commitment, wallet);
    const granted = this.#o.chain.consent(key);
    if (!granted || granted.controller !== wallet)
      throw new FhirLedgerError("invalid", "this consent is not granted on chain by your wallet");
    const deadline = (await this.#o.relay.chainTime()) + BigInt(Math.ceil(this.#ttlMs / 1000));
    const message = { commitment: key, patient: wallet, nonce: await this.#o.relay.nonce(wallet), deadline };
    return this.#prepare({ kind: "Revoke", user, wallet, consent, message });
  }

  /** Relays the signed Revoke, then sets the Consent inactive. */
  async submitRevoke(user: WalletUser, pendingId: unknown, signature: unknown): Promise<StoredConsent> {
    const pending = this.#take(user, pendingId, signature, "Revoke");
    const m = pending.message;
    const txHash = await this.#o.relay.revokeBySig(
      m.commitment as string,
      pending.wallet,
      m.deadline as bigint,
      signature as string,
    );
    await this.#settle(m.commitment as string, false);
    const current = await this.#consent(user, pending.consentId);
    const updated =
      current.resource.status === "inactive"
        ? current
        : await this.#o.records.update(user, { ...current.resource, status: "inactive" }, current.versionId);
    await this.#event({
      type: "consent-revoked",
      userId: user.userId,
      patient: user.patient,
      wallet: pending.wallet,
      consent: `Consent/${updated.id}`,
      txHash,
    });
    return updated;
  }

  #summary(c: StoredConsent, wallet: string | null, now: Date): WalletConsentSummary {
    const r = c.resource;
    const provision = (r.provision ?? {}) as {
      class?: { code?: unknown }[];
      actor?: { reference?: { reference?: unknown } }[];
      period?: { end?: unknown };
    };
    const ext = commitmentExtensions(r);
    const granted = ext && wallet ? this.#o.chain.consent(patientCommitment(ext.commitment, wallet)) : undefined;
    return {
      id: c.id,
      status: String(r.status),
      classes: (provision.class ?? []).map((k) => String(k.code)).slice(0, 20),
      actors: (provision.actor ?? []).map((a) => String(a.reference?.reference)).slice(0, 20),
      ...(typeof provision.period?.end === "string" ? { periodEnd: provision.period.end } : {}),
      walletHeld: ext !== undefined,
      honoured: wallet !== null && ext !== undefined && r.status === "active" && this.#o.check.honoured(r, wallet, now),
      ...(granted ? { chainExpiresAt: granted.expiresAt.toString() } : {}),
    };
  }

  #wallet(user: WalletUser): string {
    const wallet = this.#o.links.walletOf(user.patient);
    if (!wallet) throw new FhirLedgerError("invalid", "link a wallet first");
    return wallet;
  }

  async #consent(user: WalletUser, consentId: unknown): Promise<StoredConsent> {
    if (typeof consentId !== "string" || !CONSENT_ID.test(consentId))
      throw new FhirLedgerError("invalid", "not a Consent id");
    const consent = await this.#o.records.get(user, consentId);
    if (!consent) throw new FhirLedgerError("not-found", "no such consent");
    return consent;
  }

  async #prepare(p: {
    kind: "Grant" | "Revoke";
    user: WalletUser;
    wallet: string;
    consent: StoredConsent;
    salt?: string;
    message: Record<string, string | bigint>;
  }): Promise<{ id: string; typedData: TypedDataRequest }> {
    const domain = await this.#o.relay.domain();
    this.#prune(p.user.userId);
    const id = randomBytes(16).toString("hex");
    this.#pending.set(id, {
      kind: p.kind,
      userId: p.user.userId,
      patient: p.user.patient,
      wallet: p.wallet,
      consentId: p.consent.id,
      versionId: p.consent.versionId,
      ...(p.salt ? { salt: p.salt } : {}),
      domain,
      message: p.message,
      expiresAt: this.#now() + this.#ttlMs,
    });
    const types = p.kind === "Grant" ? GRANT_TYPES : REVOKE_TYPES;
    return {
      id,
      typedData: {
        domain: { ...domain, chainId: domain.chainId?.toString() },
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
          ...types,
        },
        primaryType: p.kind,
        message: Object.fromEntries(Object.entries(p.message).map(([k, v]) => [k, v.toString()])),
      },
    };
  }

  /** Consumes a prepared request (tried once, whatever the outcome) and checks the wallet signed it. */
  #take(user: WalletUser, pendingId: unknown, signature: unknown, kind: Pending["kind"]): Pending {
    if (typeof pendingId !== "string" || !PENDING_ID.test(pendingId))
      throw new FhirLedgerError("invalid", "unknown or expired signature request");
    const pending = this.#pending.get(pendingId);
    this.#pending.delete(pendingId);
    if (
      !pending ||
      pending.userId !== user.userId ||
      pending.patient !== user.patient ||
      pending.kind !== kind ||
      pending.expiresAt <= this.#now()
    )
      throw new FhirLedgerError("invalid", "unknown or expired signature request");
    if (this.#o.links.walletOf(user.patient) !== pending.wallet)
      throw new FhirLedgerError("conflict", "the linked wallet changed: ask again");
    if (typeof signature !== "string" || !SIGNATURE.test(signature))
      throw new FhirLedgerError("invalid", "the signature is not 65 bytes of hex");
    let signer: string;
    try {
      signer = verifyTypedData(
        pending.domain,
        kind === "Grant" ? GRANT_TYPES : REVOKE_TYPES,
        pending.message,
        signature,
      );
    } catch {
      throw new FhirLedgerError("invalid", "the signature does not verify");
    }
    if (signer.toLowerCase() !== pending.wallet)
      throw new FhirLedgerError("invalid", "the signature is not by the linked wallet");
    return pending;
  }

  #prune(userId: string): void {
    const now = this.#now();
    const mine: string[] = [];
    for (const [id, p] of this.#pending) {
      if (p.expiresAt <= now) this.#pending.delete(id);
      else if (p.userId === userId) mine.push(id);
    }
    while (mine.length >= (this.#o.maxPendingPerUser ?? 5)) this.#pending.delete(mine.shift()!);
    while (this.#pending.size >= (this.#o.maxPendingTotal ?? 10_000))
      this.#pending.delete(this.#pending.keys().next().value!);
  }

  /** Waits (briefly) until the follower has seen the transaction, so the page's next answer reflects it. */
  async #settle(key: string, present: boolean): Promise<void> {
    const until = Date.now() + (this.#o.settleMs ?? 2000);
    while ((this.#o.chain.consent(key) !== undefined) !== present && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
  }

  async #event(event: WalletEvent): Promise<void> {
    await this.#o.onEvent?.(event);
  }
}

/** Whether the Consent's scope is http://terminology.hl7.org/CodeSystem/consentscope|patient-privacy. */
function isPrivacyConsent(consent: Record<string, unknown>): boolean {
  const codings = (consent.scope as { coding?: { system?: unknown; code?: unknown }[] } | undefined)?.coding;
  return (
    Array.isArray(codings) &&
    codings.some(
      (c) => c?.system === "http://terminology.hl7.org/CodeSystem/consentscope" && c.code === "patient-privacy",
    )
  );
}
