import { hash } from "node:crypto";

/** RFC 6962 leaf hash: SHA-256(0x00 || data). @see https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1 */
export function leafHash(data: Uint8Array): Uint8Array {
  // The 0x00 / 0x01 prefixes keep a leaf from ever being read as an interior node.
  const input = new Uint8Array(1 + data.byteLength);
  input.set(data, 1);
  return new Uint8Array(hash("sha256", input, "buffer"));
}
