import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { normalizeString } from "../../../../fhir/search/normalizeString.ts";

/** Bytes of the index's search key (the secret the key store hands the index). */
export const SEARCH_KEY_BYTES = 32;
/** Bytes of a blind index: HMAC-SHA-256 cut to 128 bits (no collision in any index this size). */
const BLIND_BYTES = 16;
/** Values kept sealed or blinded by value, each one computed once (equal codes, systems and names repeat). */
const CACHE_LIMIT = 50_000;

/**
 * Prefix lengths (in characters of the normal form) a string value is blinded at: a starts-with
 * search of n characters looks up the longest of these ≤ n, then, when shorter than n, checks
 * each candidate by opening its sealed value. Short prefixes (names typed as they are spelt) are
 * exact lookups; longer ones narrow to a few candidates.
 */
export const STRING_PREFIX_LENGTHS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];

/**
 * The secret of an index's search values: nothing a search matches on is stored in clear.
 *
 * - `blind(domain, v)`: a keyed blind index, HMAC-SHA-256 under a key derived from the search
 *   key (HKDF), of the domain and the value, cut to 16 bytes. Equality only, and only with the
 *   key: the string prefixes a starts-with search looks up.
 * - `seal(v)`: deterministic authenticated encryption in the SIV way: the IV is the value's
 *   HMAC (16 bytes, under its own derived key), the value is encrypted with AES-256-CTR under a
 *   third derived key. Equal values seal equally, so the sealed form is itself an equality index
 *   (token codes and systems, reference URLs) and can be opened for what needs the value back:
 *   sorting, `:contains`, `:text` and the check of a long prefix. It reveals the value's length
 *   and which stored values are equal, as any blind index does (CipherSweet's tradeoff).
 *
 * The same instance serves the writer (rows are sealed as they are inserted) and, as SQL
 * functions registered on each connection (`registerSearchFunctions`), the queries.
 */
export class SearchKey {
  readonly #blindKey: KeyObject;
  readonly #ivKey: KeyObject;
  readonly #encKey: KeyObject;
  readonly #bytesKey: KeyObject;
  readonly #blinded = new Map<string, Uint8Array>();
  readonly #sealed = new Map<string, Uint8Array>();
  /** Values opened, by their seal (as latin1): `:text` and `:contains` open the same few thousand seals per search. */
  readonly #opened = new Map<string, string>();

  constructor(secret: Uint8Array) {
    if (secret.byteLength !== SEARCH_KEY_BYTES) throw new Error(`the search key must be ${SEARCH_KEY_BYTES} bytes`);
    const derive = (info: string) =>
      createSecretKey(new Uint8Array(hkdfSync("sha256", secret, new Uint8Array(0), `fhirledger index ${info}`, 32)));
    this.#blindKey = derive("blind v1");
    this.#ivKey = derive("siv v1");
    this.#encKey = derive("ctr v1");
    this.#bytesKey = derive("gcm v1");
  }

  /** Bytes kept for the index's own use (a transaction's response), sealed: AES-256-GCM, random IV. */
  sealBytes(plain: Uint8Array): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#bytesKey, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
  }

  /** What `sealBytes` sealed; throws when it was altered or sealed under another key. */
  openBytes(sealed: Uint8Array): Uint8Array {
    if (sealed.byteLength < 28) throw new Error("sealed bytes too short");
    const decipher = createDecipheriv("aes-256-gcm", this.#bytesKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16));
    return new Uint8Array(
      Buffer.concat([decipher.update(sealed.subarray(12, sealed.byteLength - 16)), decipher.final()]),
    );
  }

  /** The blind index of `value` in `domain` (different domains never share an index value). */
  blind(domain: string, value: string): Uint8Array {
    const key = `${domain}\u0000${value}`;
    let out = this.#blinded.get(key);
    if (out === undefined) {
      out = new Uint8Array(createHmac("sha256", this.#blindKey).update(key, "utf8").digest().subarray(0, BLIND_BYTES));
      remember(this.#blinded, key, out);
    }
    return out;
  }

  /** `value` sealed: its 16-byte synthetic IV, then the AES-256-CTR ciphertext of its UTF-8. */
  seal(value: string): Uint8Array {
    let out = this.#sealed.get(value);
    if (out === undefined) {
      const iv = createHmac("sha256", this.#ivKey).update(value, "utf8").digest().subarray(0, 16);
      const cipher = createCipheriv("aes-256-ctr", this.#encKey, iv);
      const body = cipher.update(value, "utf8");
      out = new Uint8Array(16 + body.length);
      out.set(iv, 0);
      out.set(body, 16);
      remember(this.#sealed, value, out);
    }
    return out;
  }

  /**
   * The value a `seal` holds. Authenticated: the IV must be the HMAC of what it decrypts to, so
   * a sealed value altered or moved in from another index is refused rather than misread.
   */
  open(sealed: Uint8Array): string {
    const memo = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).toString("latin1");
    let value = this.#opened.get(memo);
    if (value === undefined) {
      value = this.#open(sealed);
      if (this.#opened.size >= CACHE_LIMIT) this.#opened.clear();
      this.#opened.set(memo, value);
    }
    return value;
  }

  #open(sealed: Uint8Array): string {
    if (sealed.byteLength < 16) throw new Error("sealed search value too short");
    const iv = sealed.subarray(0, 16);
    const decipher = createDecipheriv("aes-256-ctr", this.#encKey, iv);
    const value = decipher.update(sealed.subarray(16), undefined, "utf8") + decipher.final("utf8");
    const check = createHmac("sha256", this.#ivKey).update(value, "utf8").digest().subarray(0, 16);
    if (!check.equals(iv)) throw new Error("sealed search value does not open under this index's key");
    return value;
  }
}

function remember(cache: Map<string, Uint8Array>, key: string, value: Uint8Array): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

const keys = new WeakMap<DatabaseSync, SearchKey>();

/** The search key registered on a connection (writes seal and blind with it). */
export function searchKeyOf(db: DatabaseSync): SearchKey {
  const key = keys.get(db);
  if (!key) throw new Error("no search key on this index connection (registerSearchFunctions)");
  return key;
}

/** A value's blind index as hex: how the index keeps names and keys it looks up by equality only. */
export function blindName(key: SearchKey, domain: string, value: string): string {
  return Buffer.from(key.blind(domain, value)).toString("hex");
}

/** A nullable value sealed (see SearchKey.seal). */
export function sealOrNull(key: SearchKey, value: string | null): Uint8Array | null {
  return value === null ? null : key.seal(value);
}

/** The code points of `value` up to `n` (SQLite's substr and length count the same way). */
export function prefixOf(value: string, n: number): string {
  let i = 0;
  let count = 0;
  while (count < n && i < value.length) {
    const c = value.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
    count++;
  }
  return value.slice(0, i);
}

/** The number of code points of `value`. */
export function lengthOf(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * Registers on `db` the SQL functions searches compile to, all under `key`:
 * fl_seal(v), fl_blind(domain, v), fl_open(sealed), fl_norm(sealed) (its normal form),
 * fl_starts(sealed, prefix) and fl_contains(sealed, part) (on the normal form, 1 or 0), and
 * fl_date(sealed, 0 | 1) (lo or hi of a sealed date range).
 * NULL in, NULL out.
 */
export function registerSearchFunctions(db: DatabaseSync, key: SearchKey): void {
  keys.set(db, key);
  const det = { deterministic: true, useBigIntArguments: false } as const;
  const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const opened = (s: unknown): string | null => (s instanceof Uint8Array ? key.open(s) : null);
  db.function("fl_seal", det, (v: unknown) => {
    const t = text(v);
    return t === null ? null : key.seal(t);
  });
  db.function("fl_blind", det, (d: unknown, v: unknown) => {
    const t = text(v);
    return t === null ? null : key.blind(String(d), t);
  });
  db.function("fl_open", det, (s: unknown) => opened(s));
  db.function("fl_norm", det, (s: unknown) => {
    const v = opened(s);
    return v === null ? null : normalizeString(v);
  });
  db.function("fl_starts", det, (s: unknown, p: unknown) => {
    const v = opened(s);
    return v === null || p === null ? null : normalizeString(v).startsWith(String(p)) ? 1 : 0;
  });
  db.function("fl_date", det, (s: unknown, i: unknown) => {
    const v = opened(s);
    return v === null ? null : Number(v.split(",")[Number(i)]);
  });
  db.function("fl_contains", det, (s: unknown, p: unknown) => {
    const v = opened(s);
    return v === null || p === null ? null : normalizeString(v).includes(String(p)) ? 1 : 0;
  });
}
