/** Lower-case hexadecimal of the bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

// Buffer.from(s, "hex") silently stops at the first bad character; a hash or key id
// that decodes to fewer bytes than written must be an error, not a shorter value.
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Bytes of an even-length hexadecimal string; throws TypeError on anything else. */
export function fromHex(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new TypeError("not an even-length hexadecimal string");
  return new Uint8Array(Buffer.from(hex, "hex"));
}
