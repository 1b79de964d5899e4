import { fromHex } from "../crypto/hex.ts";

const HASH32 = /^(?:0x)?([0-9a-fA-F]{64})$/;

/** Lower-case 64-hex form of a 32-byte hash written with or without 0x; null when it is not one. */
export function normalizeHash32(value: string | null): string | null {
  const m = value === null ? null : HASH32.exec(value);
  return m ? (m[1] as string).toLowerCase() : null;
}

/** Bytes of a 32-byte hash written as hex (with or without 0x); null when it is not one. */
export function hash32Bytes(value: string | null): Uint8Array | null {
  const hex = normalizeHash32(value);
  return hex === null ? null : fromHex(hex);
}
