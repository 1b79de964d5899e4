import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeSecretFile } from "./writeSecretFile.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fl-secret-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeSecretFile", () => {
  it("writes mode 0600 and leaves no temporary file", async () => {
    const path = join(dir, "s.key");
    expect(await writeSecretFile({ path, bytes: new Uint8Array([1, 2, 3]) })).toBe(true);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([1, 2, 3]));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["s.key"]);
  });

  it("replaces by default, but never when exclusive", async () => {
    const path = join(dir, "s.key");
    await writeSecretFile({ path, bytes: new Uint8Array([1]) });
    await writeSecretFile({ path, bytes: new Uint8Array([2]) });
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([2]));
    expect(await writeSecretFile({ path, bytes: new Uint8Array([3]), exclusive: true })).toBe(false);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([2]));
    expect(await readdir(dir)).toEqual(["s.key"]);
  });

  it("lets exactly one of several concurrent exclusive writers win", async () => {
    const path = join(dir, "s.key");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => writeSecretFile({ path, bytes: new Uint8Array([i]), exclusive: true })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(new Uint8Array(await readFile(path))).toEqual(new Uint8Array([winner]));
  });
});
