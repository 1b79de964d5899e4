import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt cost: N = 2^logN, block size r, parallelism p. Recorded in each hash so it can be raised later. */
export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and some 50-100 ms a hash on this server's class of machine. */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ logN: 15, r: 8, p: 1 });

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** The largest cost a stored hash may ask for: a tampered row must not make a login take gigabytes. */
const MAX_LOG_N = 20;
const FORMAT = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.logN;
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize("NFKC"),
      salt,
      length,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r * params.p },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** Hashes a password with scrypt and a fresh 128-bit salt: `scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64url). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = FORMAT.exec(stored);
  if (!m) return undefined;
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.logN < 1 || params.logN > MAX_LOG_N || params.r < 1 || params.p < 1 || params.p > 4) return undefined;
  return { params, salt: Buffer.from(m[4]!, "base64url"), key: Buffer.from(m[5]!, "base64url") };
}

/**
 * Whether `password` matches a hash made by hashPassword, compared in constant time. A stored
 * value that is not such a hash never matches (rejects by default).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made with a lower cost than `params` (then the login that proved the password rehashes it). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const p = parsed.params;
  return p.logN < params.logN || p.r < params.r || p.p < params.p;
}
