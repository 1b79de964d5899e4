import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/loadConfig.ts";
import { assertPrivateDataFiles } from "./assertPrivateDataFiles.ts";

let root: string;
let umask: number;
beforeEach(async () => {
  umask = process.umask(0o022); // so that the modes asked for below are the modes made
  root = await mkdtemp(join(tmpdir(), "fhirledger-modes-"));
});
afterEach(async () => {
  process.umask(umask);
  await rm(root, { recursive: true, force: true });
});

const configFor = (env: Record<string, string> = {}) =>
  loadConfig({ FHIRLEDGER_DATA_DIR: join(root, "data"), ...env }, root);

describe("assertPrivateDataFiles", () => {
  it("accepts private files and folders, and a data directory that does not exist yet", async () => {
    await assertPrivateDataFiles(configFor());
    await mkdir(join(root, "data", "keys"), { recursive: true, mode: 0o700 });
    await writeFile(join(root, "data", "keys", "kek.key"), "k", { mode: 0o600 });
    await assertPrivateDataFiles(configFor());
  });

  it("checks the configured folders outside the data directory, but only the index's own files beside it", async () => {
    await mkdir(join(root, "data"), { mode: 0o700 });
    await mkdir(join(root, "keys"), { mode: 0o700 });
    await writeFile(join(root, "keys", "dev-token"), "t", { mode: 0o644 });
    await mkdir(join(root, "shared"), { mode: 0o755 });
    await writeFile(join(root, "shared", "index.sqlite-wal"), "", { mode: 0o644 });
    await writeFile(join(root, "shared", "someone-elses.txt"), "", { mode: 0o644 });
    const config = configFor({ FHIRLEDGER_KEYS_DIR: "keys", FHIRLEDGER_INDEX_PATH: "shared/index.sqlite" });
    const message = await assertPrivateDataFiles(config).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(message).toContain(`${join(root, "keys", "dev-token")} (mode 0644): chmod 600`);
    expect(message).toContain(`${join(root, "shared", "index.sqlite-wal")} (mode 0644): chmod 600`);
    expect(message).not.toContain("someone-elses.txt");
    expect(message).not.toMatch(/shared \(mode/);
  });

  it("does not follow symbolic links", async () => {
    await mkdir(join(root, "data"), { mode: 0o700 });
    await mkdir(join(root, "elsewhere"), { mode: 0o755 });
    await symlink(join(root, "elsewhere"), join(root, "data", "link"));
    await assertPrivateDataFiles(configFor());
  });
});
