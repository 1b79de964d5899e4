/** A fixed search key for tests that open one index file several times (never a server's). */
export const TEST_SEARCH_KEY: Uint8Array = new Uint8Array(32).fill(7);
