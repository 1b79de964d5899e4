import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import type { JWK, JWTPayload } from "jose";
import type { KeyStore, SigningAlgorithm, SigningKey } from "../../ports/KeyStore.ts";

interface Loaded {
  current: SigningKey;
  /** kid → public key, of every key whose tokens may still be alive. */
  verify: Map<string, KeyObject>;
  jwks: JWK[];
}

/**
 * The authorization server's signing keys, read from the key store once (and again after
 * `reload`): signs with the newest key of each algorithm and publishes the public half of every
 * key retired less than `maxTokenSeconds` ago, so tokens signed before a rotation still verify.
 */
export class TokenKeys {
  readonly #keys: KeyStore;
  readonly #maxTokenSeconds: number;
  readonly #now: () => number;
  #loaded = new Map<SigningAlgorithm, Loaded>();

  private constructor(keys: KeyStore, maxTokenSeconds: number, now: () => number) {
    this.#keys = keys;
    this.#maxTokenSeconds = maxTokenSeconds;
    this.#now = now;
  }

  static async load(keys: KeyStore, options: { maxTokenSeconds: number; now?: () => number }): Promise<TokenKeys> {
    const ring = new TokenKeys(keys, options.maxTokenSeconds, options.now ?? Date.now);
    await ring.reload();
    return ring;
  }

  /** Reads the keys again (after `rotate-signing-key`). */
  async reload(): Promise<void> {
    const next = new Map<SigningAlgorithm, Loaded>();
    for (const alg of ["ES256", "RS256"] as const) {
      const kept = await this.#keys.signingKeys(alg);
      const live = kept.filter(
        (k) => k.retiredAt === null || k.retiredAt.getTime() + this.#maxTokenSeconds * 1000 > this.#now(),
      );
      const verify = new Map<string, KeyObject>();
      const jwks: JWK[] = [];
      for (const key of live) {
        const publicKey = createPublicKey(key.privateKey);
        verify.set(key.kid, publicKey);
        jwks.push({ ...(publicKey.export({ format: "jwk" }) as JWK), kid: key.kid, alg, use: "sig" });
      }
      next.set(alg, { current: kept[0]!, verify, jwks });
    }
    this.#loaded = next;
  }

  /** Signs `claims` as a JWT with the current key of `alg` (its kid in the header). */
  async sign(alg: SigningAlgorithm, claims: JWTPayload, typ?: string): Promise<string> {
    const { current } = this.#loaded.get(alg)!;
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: current.kid, ...(typ === undefined ? {} : { typ }) })
      .sign(current.privateKey);
  }

  /** The public key for a token header, or undefined (unknown kid, or another algorithm). */
  verificationKey(alg: unknown, kid: unknown): KeyObject | undefined {
    if (alg !== "ES256" && alg !== "RS256") return undefined;
    return typeof kid === "string" ? this.#loaded.get(alg)?.verify.get(kid) : undefined;
  }

  /** The JWKS document (`GET /.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.#loaded.values()].flatMap((l) => l.jwks) };
  }
}
