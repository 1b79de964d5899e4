import { hash } from "node:crypto";

/** SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Uint8Array {
  // A plain Uint8Array (not a Buffer) so results compare equal to other byte arrays.
  // One-shot: no Hash object per call (each wraps a native handle the GC must finalise).
  return new Uint8Array(hash("sha256", data, "buffer"));
}
