import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/loadConfig.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

/**
 * Maintenance commands need the server stopped: it holds the KEK and data keys in memory and,
 * in embedded mode, owns the chain process. Its anvil pid file says whether it is running.
 */
export async function assertServerStopped(config: Config): Promise<void> {
  if (config.chain.mode !== "embedded") return;
  let pid: number;
  try {
    pid = Number((await readFile(join(config.chain.stateDir, "anvil.pid"), "utf8")).trim());
  } catch {
    return;
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    if (cmdline.includes("anvil")) {
      throw new FhirLedgerError("conflict", `the server (or its embedded chain, pid ${pid}) is running: stop it first`);
    }
  } catch (error) {
    if (error instanceof FhirLedgerError) throw error;
  }
}
