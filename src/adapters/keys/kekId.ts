import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";

/**
 * Public id of a KEK: hex of the first 8 bytes of its SHA-256. Stored beside each
 * wrapped key so a rotation (and a wrong KEK at start-up) is visible without the key.
 */
export function kekId(kek: Uint8Array): string {
  return toHex(sha256(kek).subarray(0, 8));
}
