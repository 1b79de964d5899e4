import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { usageError } from "./usageError.ts";

/** Files named *Information* (organisations, practitioners): patient bundles refer to them conditionally. */
export const isInformationFile = (file: string): boolean => /information/i.test(file);

/** Files under the given paths, information bundles first, then by name. */
export async function discoverImportFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => null);
    if (!info) throw usageError(`${p} does not exist`);
    if (info.isDirectory()) {
      for (const entry of await readdir(p, { recursive: true, withFileTypes: true })) {
        if ((entry.isFile() || entry.isSymbolicLink()) && /\.(nd)?json(\.gz)?$/i.test(entry.name))
          out.push(join(entry.parentPath, entry.name));
      }
    } else {
      out.push(p);
    }
  }
  const rank = (f: string) => (isInformationFile(f) ? 0 : 1);
  return [...new Set(out)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
