import { createHash } from "node:crypto";

/** SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Uint8Array {
  // A plain Uint8Array (not a Buffer) so results compare equal to other byte arrays.
  return new Uint8Array(createHash("sha256").update(data).digest());
}
