import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { commands } from "./commands.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function fhirledger(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules/.bin/node"),
      [join(ROOT, "src/cli/main.ts"), ...args],
      { cwd: ROOT, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe("fhirledger dispatcher", () => {
  it("--help lists every command with its summary and exits 0", async () => {
    const run = await fhirledger(["--help"]);
    expect(run.code).toBe(0);
    for (const c of commands)
      expect(run.stdout).toMatch(
        new RegExp(`^  ${c.name}\\s+${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"),
      );
  });

  it("without a command or with an unknown one prints the list to stderr and exits 2", async () => {
    const none = await fhirledger([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Usage: fhirledger <command>/);
    const unknown = await fhirledger(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it("`help verify` and `verify --help` print the command's options", async () => {
    for (const args of [
      ["help", "verify"],
      ["verify", "--help"],
    ]) {
      const run = await fhirledger(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/--resource FILE/);
      expect(run.stdout).toMatch(/Exit code: 0 verified, 1 not verified/);
    }
  });

  it("an unknown option is a usage error (exit 2), named on stderr", async () => {
    const run = await fhirledger(["verify", "--resorce", "r.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--resorce/);
  });
});
