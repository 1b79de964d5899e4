export interface BackoffPolicy {
  /** Failures allowed before any wait: the one that reaches this count starts the first wait. */
  freeFailures: number;
  /** The wait after the first failure past the free ones; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Keys remembered at most; past it the least recently failed is forgotten (memory stays bounded). */
  maxKeys: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
}

/**
 * Exponential back-off on failures per key (an account, a client address): from the
 * `freeFailures`-th failure on, the n-th makes the key wait `baseDelayMs · 2^(n - freeFailures)`
 * (at most `maxDelayMs`) from that failure before it may try again.
 */
export class BackoffLimiter {
  readonly #policy: BackoffPolicy;
  readonly #now: () => number;
  // A Map iterates in insertion order; re-inserting on each failure makes the first the least recent.
  readonly #entries = new Map<string, Entry>();

  constructor(policy: BackoffPolicy, now: () => number = Date.now) {
    if (policy.maxKeys < 1 || policy.freeFailures < 1 || policy.baseDelayMs <= 0)
      throw new Error("bad back-off policy");
    this.#policy = policy;
    this.#now = now;
  }

  /** Milliseconds `key` must still wait before its next try; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const entry = this.#live(key);
    if (!entry || entry.failures < this.#policy.freeFailures) return 0;
    const doublings = Math.min(entry.failures - this.#policy.freeFailures, 30);
    const delay = Math.min(this.#policy.baseDelayMs * 2 ** doublings, this.#policy.maxDelayMs);
    return Math.max(0, entry.lastFailureAt + delay - this.#now());
  }

  /** Counts a failure of `key`. */
  fail(key: string): void {
    const failures = (this.#live(key)?.failures ?? 0) + 1;
    this.#entries.delete(key);
    this.#entries.set(key, { failures, lastFailureAt: this.#now() });
    while (this.#entries.size > this.#policy.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forgets `key`'s failures (a success). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Keys remembered now (tests check the bound). */
  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#now() - entry.lastFailureAt >= this.#policy.forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
