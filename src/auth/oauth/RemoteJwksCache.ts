import type { JSONWebKeySet } from "jose";
import { checkJwks } from "./ClientRegistry.ts";
import { OAuthError } from "./OAuthError.ts";
import { readCappedBody } from "./readCappedBody.ts";

export interface RemoteJwksCacheOptions {
  /** Per fetch (default 5 s). */
  timeoutMs?: number;
  /** Largest JWKS body read (default 64 KiB). */
  maxBytes?: number;
  /** Key sets remembered (default 256; the least recently used goes first). */
  maxEntries?: number;
  /** Kept this long when the response says nothing (default 300 s); never longer than a day. */
  defaultMaxAgeSeconds?: number;
  /** A key set is fetched again for an unknown kid at most this often (default 10 s). */
  cooldownMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

interface Entry {
  jwks: JSONWebKeySet;
  fetchedAt: number;
  expiresAt: number;
}

const MAX_AGE_CAP_SECONDS = 86_400;

/** How long a response may be reused, from its Cache-Control (no-store and no-cache mean not at all). */
export function cacheSeconds(cacheControl: string | null, fallback: number): number {
  if (cacheControl === null) return fallback;
  const directives = cacheControl.toLowerCase();
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/.test(directives)) return 0;
  const maxAge = /(^|,)\s*max-age\s*=\s*"?(\d{1,10})"?/.exec(directives);
  return maxAge ? Math.min(Number(maxAge[2]), MAX_AGE_CAP_SECONDS) : fallback;
}

/**
 * private_key_jwt clients' key sets fetched from their jwks_uri: with a timeout, a size cap, no
 * redirects, cached as the response's Cache-Control allows, in a bounded cache.
 */
export class RemoteJwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #defaultMaxAge: number;
  readonly #cooldownMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: RemoteJwksCacheOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024;
    this.#maxEntries = options.maxEntries ?? 256;
    this.#defaultMaxAge = options.defaultMaxAgeSeconds ?? 300;
    this.#cooldownMs = options.cooldownMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /** The key set at `uri`; `stale: true` asks for a fresh copy (an unknown kid), at most once per cooldown. */
  async get(uri: string, options: { stale?: boolean } = {}): Promise<JSONWebKeySet> {
    const now = this.#now();
    const entry = this.#entries.get(uri);
    if (entry) {
      const usable = options.stale ? now - entry.fetchedAt < this.#cooldownMs : now < entry.expiresAt;
      if (usable) {
        this.#entries.delete(uri); // refresh its place in the LRU order
        this.#entries.set(uri, entry);
        return entry.jwks;
      }
    }
    const fetched = await this.#download(uri);
    this.#entries.delete(uri);
    this.#entries.set(uri, fetched);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return fetched.jwks;
  }

  async #download(uri: string): Promise<Entry> {
    const fail = (why: string, cause?: unknown) =>
      new OAuthError("invalid_client", `the client's jwks_uri could not be used: ${why}`, { cause });
    let response: Response;
    try {
      response = await this.#fetch(uri, {
        redirect: "error",
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw fail((cause as Error).name === "TimeoutError" ? "timed out" : "unreachable", cause);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw fail(`HTTP ${response.status}`);
    }
    const text = await readCappedBody(response, this.#maxBytes).catch((cause: unknown) => {
      throw fail("the body could not be read", cause);
    });
    if (text === undefined) throw fail(`larger than ${this.#maxBytes} bytes`);
    let jwks: unknown;
    try {
      jwks = JSON.parse(text);
    } catch (cause) {
      throw fail("not JSON", cause);
    }
    try {
      checkJwks(jwks);
    } catch (cause) {
      throw fail("not a set of public RSA or EC keys", cause);
    }
    const now = this.#now();
    const seconds = cacheSeconds(response.headers.get("cache-control"), this.#defaultMaxAge);
    return { jwks, fetchedAt: now, expiresAt: now + seconds * 1000 };
  }
}
