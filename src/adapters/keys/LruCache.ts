/**
 * A bounded least-recently-used map. Map keeps insertion order, so re-inserting
 * on read makes the first key the least recently used one.
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #entries = new Map<K, V>();
  readonly #onEvict: ((value: V) => void) | undefined;

  constructor(max: number, onEvict?: (value: V) => void) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError("cache size must be a positive integer");
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    const old = this.#entries.get(key);
    this.#entries.delete(key);
    if (old !== undefined && old !== value) this.#onEvict?.(old);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as K;
      const evicted = this.#entries.get(oldest) as V;
      this.#entries.delete(oldest);
      this.#onEvict?.(evicted);
    }
  }

  delete(key: K): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#onEvict?.(value);
  }

  clear(): void {
    const values = [...this.#entries.values()];
    this.#entries.clear();
    for (const value of values) this.#onEvict?.(value);
  }
}
