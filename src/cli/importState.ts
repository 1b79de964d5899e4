import { randomUUID } from "node:crypto";
import { open, readFile, rename } from "node:fs/promises";

/**
 * The progress file of `fhirledger import`. `importId` names this import: it goes into every
 * transaction's idempotency key, so a resumed run sends the same keys and the server applies
 * nothing twice; `--restart` starts a new import (new keys).
 */
export interface ImportState {
  version: 1;
  importId: string;
  /** path → size:mtime of each file whose every entry the server accepted */
  done: Record<string, string>;
  /** NDJSON: lines sent so far (accepted, or listed in failedLines) */
  lines: Record<string, number>;
  /** NDJSON: line numbers (1-based) at or before `lines` that failed; a re-run sends them again */
  failedLines: Record<string, number[]>;
}

/** A fresh state: nothing done, a new import id. */
export function newImportState(): ImportState {
  return { version: 1, importId: randomUUID(), done: {}, lines: {}, failedLines: {} };
}

/** The state saved at `path`, or a fresh one when there is none (or it is not ours). */
export async function readImportState(path: string): Promise<ImportState> {
  let s: Partial<ImportState>;
  try {
    s = JSON.parse(await readFile(path, "utf8")) as Partial<ImportState>;
  } catch {
    return newImportState();
  }
  if (s?.version !== 1) return newImportState();
  return {
    version: 1,
    // a state written by an older CLI has no id: its finished files stay finished
    importId: typeof s.importId === "string" && s.importId !== "" ? s.importId : randomUUID(),
    done: s.done ?? {},
    lines: s.lines ?? {},
    failedLines: s.failedLines ?? {},
  };
}

/**
 * Replaces the state file atomically (temp file, then rename), mode 0600: it lists the files
 * imported and the import id that the server's idempotency keys derive from.
 */
export async function writeImportState(path: string, state: ImportState): Promise<void> {
  const handle = await open(`${path}.tmp`, "w", 0o600);
  try {
    await handle.chmod(0o600); // a temp file left by a killed run keeps its own mode otherwise
    await handle.writeFile(JSON.stringify(state));
  } finally {
    await handle.close();
  }
  await rename(`${path}.tmp`, path);
}
