import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface WriteSecretFileParameters {
  path: string;
  bytes: Uint8Array;
  /** Fail (return false) instead of replacing an existing file. */
  exclusive?: boolean;
}

/**
 * Writes a secret file atomically with mode 0600: a temporary file is written and
 * fsynced, then renamed (or, when exclusive, hard-linked) into place, so a crash
 * never leaves a half-written key and two processes never both create one.
 * Returns false only when `exclusive` and the file already exists.
 */
export async function writeSecretFile({ path, bytes, exclusive = false }: WriteSecretFileParameters): Promise<boolean> {
  const temporary = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  let written = true;
  try {
    if (exclusive) {
      try {
        await link(temporary, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        written = false;
      }
    } else {
      await rename(temporary, path);
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(dirname(path));
  return written;
}

/** Makes a rename durable; some platforms cannot open directories, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Directory fsync is unsupported on some filesystems; the data file itself is synced.
  } finally {
    await handle.close();
  }
}
