import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/loadConfig.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { isInsideDirectory } from "./isInsideDirectory.ts";

/** How many offending paths the message lists before it says how many more there are. */
const LISTED = 20;

/**
 * Refuses to start when a file or folder of the server's state lets group or others in: keys,
 * the dev token, the index, the block store, the chain's state, the lock. Like ssh with its
 * private keys, it does not fix them silently: a loose mode means something else wrote or
 * copied them, which the operator should know. Symbolic links are not followed.
 */
export async function assertPrivateDataFiles(config: Config): Promise<void> {
  if (process.platform === "win32") return;
  const loose: { path: string; mode: number; directory: boolean }[] = [];
  const seen = new Set<string>(); // a configured folder may lie inside another
  const visit = async (path: string, walk: boolean): Promise<void> => {
    let stats;
    try {
      stats = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (stats.isSymbolicLink() || seen.has(path)) return;
    seen.add(path);
    if ((stats.mode & 0o077) !== 0) loose.push({ path, mode: stats.mode & 0o777, directory: stats.isDirectory() });
    if (walk && stats.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name), true);
  };
  const { folders, files } = ownedPaths(config);
  for (const folder of folders) await visit(folder, true);
  for (const file of files) await visit(file, false);
  if (loose.length === 0) return;
  const lines = loose
    .slice(0, LISTED)
    .map(
      ({ path, mode, directory }) =>
        `  ${path} (mode ${mode.toString(8).padStart(4, "0")}): chmod ${directory ? "700" : "600"} ${path}`,
    );
  if (loose.length > LISTED) lines.push(`  … and ${loose.length - LISTED} more`);
  throw new FhirLedgerError(
    "internal",
    `refusing to start: group or others may read these files or folders of the server's state (keys, tokens, records):\n${lines.join("\n")}\n` +
      `(chmod -R go-rwx ${folders.join(" ")} fixes them all)`,
  );
}

/** The folders walked (the data directory and the configured ones outside it) and the single files checked. */
function ownedPaths(config: Config): { folders: string[]; files: string[] } {
  const folders = [config.dataDir];
  const files: string[] = [];
  const outside = (path: string) => !isInsideDirectory(path, config.dataDir);
  if (outside(config.keys.dir)) folders.push(config.keys.dir);
  if (config.ipfs.mode === "helia" && outside(config.ipfs.repoDir)) folders.push(config.ipfs.repoDir);
  if (config.chain.mode === "embedded" && outside(config.chain.stateDir)) folders.push(config.chain.stateDir);
  // The index may sit in a shared folder: only its own files are checked there.
  if (outside(config.index.sqlitePath))
    files.push(...["", "-wal", "-shm", "-journal"].map((suffix) => `${config.index.sqlitePath}${suffix}`));
  return { folders, files };
}
