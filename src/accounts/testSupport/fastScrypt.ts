import type { ScryptParams } from "../passwordHash.ts";

/** A cheap scrypt cost so tests don't spend 32 MiB and 100 ms per hash; production uses DEFAULT_SCRYPT. */
export const FAST_SCRYPT: ScryptParams = Object.freeze({ logN: 10, r: 8, p: 1 });
