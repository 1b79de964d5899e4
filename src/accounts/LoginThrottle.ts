import { identityKey } from "./accountFields.ts";
import { type BackoffPolicy, BackoffLimiter } from "./BackoffLimiter.ts";

export const ACCOUNT_BACKOFF: BackoffPolicy = Object.freeze({
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 3600_000,
  maxKeys: 10_000,
});

/** An address may be a clinic behind one NAT: more room than an account before it waits. */
export const ADDRESS_BACKOFF: BackoffPolicy = Object.freeze({
  freeFailures: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 3600_000,
  maxKeys: 10_000,
});

/**
 * Login (and activation code) rate limits, per account name and per client address. The
 * account limit counts the name as typed, existing or not, so being limited tells nothing about
 * whether an account exists. Kept in memory: a restart forgets them.
 */
export class LoginThrottle {
  readonly accounts: BackoffLimiter;
  readonly addresses: BackoffLimiter;

  constructor(options: { account?: BackoffPolicy; address?: BackoffPolicy; now?: () => number } = {}) {
    this.accounts = new BackoffLimiter(options.account ?? ACCOUNT_BACKOFF, options.now);
    this.addresses = new BackoffLimiter(options.address ?? ADDRESS_BACKOFF, options.now);
  }

  /** Milliseconds to wait before this login may be tried; 0 when it may be tried now. */
  retryAfterMs(login: string | undefined, address: string): number {
    const byAccount = login === undefined ? 0 : this.accounts.retryAfterMs(this.#key(login));
    return Math.max(byAccount, this.addresses.retryAfterMs(address));
  }

  failed(login: string | undefined, address: string): void {
    if (login !== undefined) this.accounts.fail(this.#key(login));
    this.addresses.fail(address);
  }

  /** A successful login clears its account's failures (not its address's: one account proves nothing about the others). */
  succeeded(login: string): void {
    this.accounts.reset(this.#key(login));
  }

  #key(login: string): string {
    return identityKey(login.trim().slice(0, 256));
  }
}
