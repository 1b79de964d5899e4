import { randomBytes } from "node:crypto";
import { getAddress, verifyMessage } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/** A message a patient's wallet signs (EIP-191 personal_sign) to prove it holds `address`. */
export interface LinkChallenge {
  nonce: string;
  message: string;
  address: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

interface Pending extends LinkChallenge {
  userId: string;
  patient: string;
}

export interface LinkChallengesOptions {
  /** How long a challenge may be answered; 5 minutes by default. */
  ttlMs?: number;
  /** Outstanding challenges per account (the oldest is dropped beyond it); 5 by default. */
  maxPerUser?: number;
  /** Outstanding challenges in all (the oldest is dropped beyond it); 10,000 by default. */
  maxTotal?: number;
  now?: () => number;
}

/** 65 bytes: r, s, v. */
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const NONCE = /^[0-9a-f]{32}$/;

/**
 * Single-use, short-lived challenges that prove a wallet: the message names the address, the
 * account, the patient and the site, with a random nonce and an expiry (in the manner of
 * EIP-4361), so a signature obtained for one account, site or moment proves nothing for
 * another. Held in memory only: a restart just means asking again.
 */
export class LinkChallenges {
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;
  readonly #maxPerUser: number;
  readonly #maxTotal: number;
  readonly #now: () => number;

  constructor(options: LinkChallengesOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxPerUser = options.maxPerUser ?? 5;
    this.#maxTotal = options.maxTotal ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A new challenge for `userId` (patient `patient`) to link `address` on `site` (the page's origin).
   * @throws FhirLedgerError "invalid" when `address` is not an Ethereum address.
   */
  issue(userId: string, patient: string, address: unknown, site: string): LinkChallenge {
    if (typeof address !== "string" || address.length > 42)
      throw new FhirLedgerError("invalid", "not an Ethereum address");
    let checksummed: string;
    try {
      checksummed = getAddress(address);
    } catch {
      throw new FhirLedgerError("invalid", "not an Ethereum address");
    }
    this.#prune(userId);
    const now = this.#now();
    const nonce = randomBytes(16).toString("hex");
    const expiresAt = now + this.#ttlMs;
    const message = [
      `${site} asks you to link your Ethereum account to your fhirledger account:`,
      checksummed,
      "",
      "Consents you sign with this account will count only with its signature.",
      "",
      `URI: ${site}`,
      `Account: ${userId}`,
      `Patient: ${patient}`,
      `Nonce: ${nonce}`,
      `Issued At: ${new Date(now).toISOString()}`,
      `Expiration Time: ${new Date(expiresAt).toISOString()}`,
    ].join("\n");
    const challenge: Pending = { nonce, message, address: checksummed.toLowerCase(), expiresAt, userId, patient };
    this.#pending.set(nonce, challenge);
    return { nonce, message, address: challenge.address, expiresAt };
  }

  /**
   * Consumes the challenge `nonce` (whatever the outcome: each is tried once) and returns the
   * address and patient it proves when `signature` is that address's personal_sign of it.
   * @throws FhirLedgerError "invalid" for an unknown, used, expired or foreign nonce, or a wrong signature.
   */
  redeem(userId: string, nonce: unknown, signature: unknown): { address: string; patient: string } {
    if (typeof nonce !== "string" || !NONCE.test(nonce))
      throw new FhirLedgerError("invalid", "unknown or expired challenge");
    const pending = this.#pending.get(nonce);
    this.#pending.delete(nonce);
    if (!pending || pending.userId !== userId || pending.expiresAt <= this.#now())
      throw new FhirLedgerError("invalid", "unknown or expired challenge");
    if (typeof signature !== "string" || !SIGNATURE.test(signature))
      throw new FhirLedgerError("invalid", "the signature is not 65 bytes of hex");
    let signer: string;
    try {
      signer = verifyMessage(pending.message, signature).toLowerCase();
    } catch {
      throw new FhirLedgerError("invalid", "the signature does not verify");
    }
    if (signer !== pending.address) throw new FhirLedgerError("invalid", "the signature is not by that address");
    return { address: pending.address, patient: pending.patient };
  }

  /** Outstanding challenges (for tests and metrics). */
  get size(): number {
    return this.#pending.size;
  }

  /** Drops expired challenges, then the oldest of `userId`'s and of all beyond the caps (a Map keeps insertion order). */
  #prune(userId: string): void {
    const now = this.#now();
    const mine: string[] = [];
    for (const [nonce, p] of this.#pending) {
      if (p.expiresAt <= now) this.#pending.delete(nonce);
      else if (p.userId === userId) mine.push(nonce);
    }
    while (mine.length >= this.#maxPerUser) this.#pending.delete(mine.shift()!);
    while (this.#pending.size >= this.#maxTotal) this.#pending.delete(this.#pending.keys().next().value!);
  }
}
