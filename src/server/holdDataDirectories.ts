import { mkdir } from "node:fs/promises";
import { isMainThread } from "node:worker_threads";
import { DirectoryLock } from "../adapters/sqlite/DirectoryLock.ts";
import type { Config } from "../config/loadConfig.ts";
import { isInsideDirectory } from "./isInsideDirectory.ts";

/** The data directories held by this process until `release`. */
export interface HeldDataDirectories {
  release(): void;
}

/**
 * Takes the data directory (and the keys directory when it lies elsewhere) for this process:
 * the running server or one maintenance command, never two at once, so `rotate-kek` cannot
 * re-wrap the keys under a server that keeps wrapping new ones under the old KEK. Throws
 * "conflict" naming the holder when another process has them (see DirectoryLock). From here on
 * files this process and its children (anvil) create are private: umask 077, so libraries
 * that choose no mode (the IPFS datastore, anvil's state) make them 0600 and folders 0700.
 */
export async function holdDataDirectories(config: Config, holder: string): Promise<HeldDataDirectories> {
  if (isMainThread) process.umask(0o077);
  const locks: DirectoryLock[] = [];
  try {
    for (const dir of lockedDirectories(config)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      locks.push(DirectoryLock.acquire(dir, holder));
    }
  } catch (error) {
    for (const lock of locks) lock.release();
    throw error;
  }
  return {
    release: () => {
      for (const lock of locks.reverse()) lock.release();
    },
  };
}

/** The data directory, and the keys directory when it is not inside it (the keys are what a clash loses). */
function lockedDirectories(config: Config): string[] {
  return isInsideDirectory(config.keys.dir, config.dataDir) ? [config.dataDir] : [config.dataDir, config.keys.dir];
}
