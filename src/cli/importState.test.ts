import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newImportState, readImportState, writeImportState } from "./importState.ts";

let dir: string;
let umask: number;
beforeEach(async () => {
  umask = process.umask(0o022); // the usual default: files 0644 unless asked otherwise
  dir = await mkdtemp(join(tmpdir(), "fhirledger-import-state-"));
});
afterEach(async () => {
  process.umask(umask);
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("the import progress file", () => {
  it("is written 0600 under umask 022, also over a looser file and a leftover temp file of a killed run", async () => {
    const path = join(dir, ".fhirledger-import.json");
    const state = newImportState();
    await writeImportState(path, state);
    expect(await mode(path)).toBe(0o600);

    await writeFile(path, "{}", { mode: 0o644 });
    await writeFile(`${path}.tmp`, "partial", { mode: 0o644 });
    await writeImportState(path, state);
    expect(await mode(path)).toBe(0o600);
    expect((await readImportState(path)).importId).toBe(state.importId);
  });
});
