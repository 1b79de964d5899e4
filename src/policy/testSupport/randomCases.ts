/**
 * A small stand-in for fast-check (which the brief expected but node_modules does not hold):
 * seeded random cases, so a failure names the seed and case that reproduce it. No shrinking.
 */
export interface Random {
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  subset<T>(items: readonly T[], min?: number): T[];
  bool(): boolean;
}

/** A deterministic generator (mulberry32) from a seed. */
export function random(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r: Random = {
    int: (max) => Math.floor(next() * max),
    pick: (items) => items[r.int(items.length)]!,
    subset: (items, min = 0) => {
      for (;;) {
        const out = items.filter(() => next() < 0.5);
        if (out.length >= min) return out;
      }
    },
    bool: () => next() < 0.5,
  };
  return r;
}

/** Runs `check` on `runs` cases from seed `base` on; a failing case rethrows with its seed. */
export async function forAll(
  runs: number,
  check: (r: Random, seed: number) => void | Promise<void>,
  base = 1,
): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const seed = base * 100_003 + i;
    try {
      await check(random(seed), seed);
    } catch (error) {
      throw new Error(`case failed with seed ${seed}: ${(error as Error).message}`, { cause: error });
    }
  }
}
