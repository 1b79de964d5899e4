/** Serialises async work per key (one writer per resource at a time), without a global lock. */
export class KeyedMutex {
  /** For each held key, the release of its last holder in line. */
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.runAll([key], fn);
  }

  /**
   * Holds every key's lock for the duration of fn. All keys are queued for in one synchronous
   * step, so holders are ordered by arrival on every key they share: no deadlock, and no
   * nesting per key (a transaction holds thousands).
   */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = new Set(keys);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous: Promise<void>[] = [];
    for (const key of unique) {
      const tail = this.#tails.get(key);
      if (tail) previous.push(tail);
      // Later holders of this key wait for `mine`, which resolves only after every previous
      // holder of every key here has released and fn has run.
      this.#tails.set(key, mine);
    }
    try {
      if (previous.length > 0) await Promise.all(previous);
      return await fn();
    } finally {
      release();
      for (const key of unique) if (this.#tails.get(key) === mine) this.#tails.delete(key);
    }
  }
}
