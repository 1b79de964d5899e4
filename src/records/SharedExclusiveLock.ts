/**
 * Many holders at once in shared mode, or one alone in exclusive mode. A waiting exclusive
 * request keeps new shared ones waiting behind it, so a steady stream of writes cannot starve
 * an erasure; waiters are served in arrival order otherwise.
 */
export class SharedExclusiveLock {
  #shared = 0;
  #exclusive = false;
  readonly #queue: { exclusive: boolean; grant: () => void }[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(false);
    try {
      return await fn();
    } finally {
      this.#shared -= 1;
      this.#next();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(true);
    try {
      return await fn();
    } finally {
      this.#exclusive = false;
      this.#next();
    }
  }

  #acquire(exclusive: boolean): Promise<void> {
    if (this.#queue.length === 0 && this.#free(exclusive)) {
      this.#take(exclusive);
      return Promise.resolve();
    }
    return new Promise((grant) => this.#queue.push({ exclusive, grant }));
  }

  #free(exclusive: boolean): boolean {
    return !this.#exclusive && (!exclusive || this.#shared === 0);
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#exclusive = true;
    else this.#shared += 1;
  }

  #next(): void {
    while (this.#queue.length > 0 && this.#free(this.#queue[0]!.exclusive)) {
      const waiter = this.#queue.shift()!;
      this.#take(waiter.exclusive);
      waiter.grant();
    }
  }
}
