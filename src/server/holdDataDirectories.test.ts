import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/loadConfig.ts";
import { holdDataDirectories } from "./holdDataDirectories.ts";

let root: string;
let umask: number;
const held: { release(): void }[] = [];
beforeEach(async () => {
  umask = process.umask(0o022);
  root = await mkdtemp(join(tmpdir(), "fhirledger-hold-"));
});
afterEach(async () => {
  for (const h of held.splice(0)) h.release();
  process.umask(umask);
  await rm(root, { recursive: true, force: true });
});

const config = (data: string, keys?: string) =>
  loadConfig({ FHIRLEDGER_DATA_DIR: data, ...(keys ? { FHIRLEDGER_KEYS_DIR: keys } : {}) }, root);

describe("holdDataDirectories", () => {
  it("creates the data directory 0700 and makes every later file of this process private", async () => {
    held.push(await holdDataDirectories(config("data"), "the server"));
    expect((await stat(join(root, "data"))).mode & 0o777).toBe(0o700);
    await writeFile(join(root, "data", "written-without-a-mode"), "x");
    expect((await stat(join(root, "data", "written-without-a-mode"))).mode & 0o777).toBe(0o600);
  });

  it("also locks a keys directory outside the data directory, so a second data directory cannot share it", async () => {
    held.push(await holdDataDirectories(config("data-a", "keys"), "the server"));
    await expect(holdDataDirectories(config("data-b", "keys"), "fhirledger rotate-kek")).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining(`${join(root, "keys")} is in use by the server`),
    });
    // the data directory it took before failing was given back
    const other = await holdDataDirectories(config("data-b"), "fhirledger rebuild");
    other.release();
  });
});
