/** Serialises async work per key (one writer per resource at a time), without a global lock. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Holds every key's lock for the duration of fn (taken in sorted order: no deadlock). */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)].sort();
    const take = (i: number): Promise<T> => (i === unique.length ? fn() : this.run(unique[i]!, () => take(i + 1)));
    return take(0);
  }
}
