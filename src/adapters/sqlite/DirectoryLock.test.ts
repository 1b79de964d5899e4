import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirectoryLock, LOCK_FILE } from "./DirectoryLock.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let dir: string;
const children: ChildProcess[] = [];
const locks: DirectoryLock[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fhirledger-lock-"));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const lock of locks.splice(0)) lock.release();
  rmSync(dir, { recursive: true, force: true });
});

const acquire = (holder: string) => {
  const lock = DirectoryLock.acquire(dir, holder);
  locks.push(lock);
  return lock;
};

/** Another process that takes the lock and keeps it until killed. */
async function holdInChild(): Promise<ChildProcess> {
  const script = `const { DirectoryLock } = await import(${JSON.stringify(join(ROOT, "src/adapters/sqlite/DirectoryLock.ts"))});
DirectoryLock.acquire(${JSON.stringify(dir)}, "the test's other process"); console.log("held"); setInterval(() => {}, 1000);`;
  const child = spawn(join(ROOT, "node_modules/.bin/node"), ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("held")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return child;
}

describe("DirectoryLock", () => {
  it("is exclusive within a process, names its holder to the refused, and is free again once released", () => {
    const first = acquire("the server");
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(() => DirectoryLock.acquire(dir, "rotate-kek")).toThrow(
      expect.objectContaining({
        code: "conflict",
        message: expect.stringMatching(
          new RegExp(`^${dir} is in use by the server \\(pid ${process.pid}, since .+\\): stop it first$`),
        ),
      }),
    );
    first.release();
    acquire("rotate-kek").release();
  });

  it("is exclusive across processes and free again when the holder is killed (SIGKILL)", async () => {
    const child = await holdInChild();
    expect(() => DirectoryLock.acquire(dir, "rebuild")).toThrow(
      expect.objectContaining({
        code: "conflict",
        message: expect.stringContaining(`the test's other process (pid ${child.pid}`),
      }),
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    acquire("rebuild").release();
  });
});
