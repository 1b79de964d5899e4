import { readFile, stat } from "node:fs/promises";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { PASSWORD_MAX } from "./checkPassword.ts";

/** A password of PASSWORD_MAX characters of 4 bytes, a newline and some slack. */
const MAX_FILE_BYTES = 4 * PASSWORD_MAX + 16;

/**
 * The password in a file that only its owner may read: its first line (a trailing newline, as
 * `echo` writes, is not part of it). The password never appears in a message.
 */
export async function readPasswordFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new FhirLedgerError(
      "bad-request",
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  if (!info.isFile()) throw new FhirLedgerError("bad-request", `${path} is not a file`);
  if (process.platform !== "win32" && (info.mode & 0o077) !== 0)
    throw new FhirLedgerError("bad-request", `${path} is accessible to group or others; chmod 600 ${path}`);
  if (info.size > MAX_FILE_BYTES)
    throw new FhirLedgerError("bad-request", `${path} is larger than a password (${MAX_FILE_BYTES} bytes at most)`);
  return firstLine(await readFile(path, "utf8"));
}

/** The first line of `text`, without its line ending. */
export function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}
