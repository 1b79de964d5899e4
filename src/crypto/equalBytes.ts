/** Whether two byte arrays hold the same bytes (not constant-time: for digests, not secrets). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
