/** Most entries one batch or transaction may hold; more is a 413 before anything is processed. */
export const MAX_BUNDLE_ENTRIES = 10_000;
