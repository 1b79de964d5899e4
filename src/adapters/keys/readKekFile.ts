import { readFile, stat } from "node:fs/promises";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

export const KEK_BYTES = 32;

/**
 * Reads a 32-byte KEK file, or undefined when it does not exist. Like ssh with its
 * private keys, refuses a file that group or others may read.
 */
export async function readKekFile(path: string): Promise<Uint8Array | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new FhirLedgerError("internal", `${path} is accessible to group or others; chmod 600 it`);
  }
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.byteLength !== KEK_BYTES) {
    bytes.fill(0);
    throw new FhirLedgerError("internal", `${path} must hold exactly ${KEK_BYTES} bytes`);
  }
  return bytes;
}
