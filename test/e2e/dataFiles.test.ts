import { chmod, lstat, mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteIndex } from "../../src/adapters/index/sqlite/SqliteIndex.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";
import { TEST_SEARCH_KEY } from "../../src/adapters/index/sqlite/search/testSupport/testSearchKey.ts";

/** Every path under `dir` (itself included) whose mode lets group or others in, with its mode. */
async function looseModes(dir: string): Promise<string[]> {
  const loose: string[] = [];
  const visit = async (path: string) => {
    const s = await lstat(path);
    if (s.isSymbolicLink()) return;
    if ((s.mode & 0o077) !== 0) loose.push(`${path} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
  return loose;
}

let umask: number;
beforeAll(() => {
  umask = process.umask(0o022); // the usual default: files 0644 and folders 0755 unless asked otherwise
});
afterAll(() => {
  process.umask(umask);
});

describe("data files are private whatever the umask", () => {
  let server: TestServer | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const d of dirs.splice(0)) await removeDir(d);
  });

  it("after a start, writes and an anchored batch, every file under the data dir is 0600 and every folder 0700", async () => {
    process.umask(0o022);
    server = await startTestServer();
    dirs.push(server.dataDir);
    for (let i = 0; i < 3; i++) {
      const created = await server.json("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", name: [{ family: `Private${i}` }] }),
      });
      expect(created.status).toBe(201);
    }
    await server.anchorer.flush();
    const names = await readdir(server.dataDir);
    expect(names).toEqual(expect.arrayContaining(["index.sqlite", "index.sqlite-wal", "keys", "ipfs", "chain"]));
    expect(await looseModes(server.dataDir)).toEqual([]);
  });

  it("the index connection deletes securely (secure_delete on)", async () => {
    server = await startTestServer();
    dirs.push(server.dataDir);
    expect(server.index.db.prepare("PRAGMA secure_delete").get()).toEqual({ secure_delete: 1 });
  });

  it("an index written outside the server (rebuild --out) is 0600 with its -wal, under umask 022", async () => {
    process.umask(0o022);
    const dir = await mkdtemp(join(tmpdir(), "fhirledger-index-"));
    dirs.push(dir);
    const index = new SqliteIndex({ searchKey: TEST_SEARCH_KEY, path: join(dir, "out", "index.sqlite") });
    try {
      expect(await looseModes(join(dir, "out"))).toEqual([]);
      expect(await readdir(join(dir, "out"))).toContain("index.sqlite-wal");
    } finally {
      index.close();
    }
  });
});

describe("start-up refuses data files or folders that group or others may read", () => {
  let server: TestServer | undefined;
  let dataDir = "";
  afterAll(async () => {
    await server?.close();
    if (dataDir) await removeDir(dataDir);
  });

  it("names each loose path with the chmod that fixes it, starts nothing, and starts once they are fixed", async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    const devToken = server.devToken;
    await server.close();
    server = undefined;
    const loosened = [
      { path: join(dataDir, "keys", "dev-token"), mode: 0o644, fix: "chmod 600" },
      { path: join(dataDir, "index.sqlite"), mode: 0o640, fix: "chmod 600" },
      { path: join(dataDir, "ipfs"), mode: 0o755, fix: "chmod 700" },
    ];
    for (const { path, mode } of loosened) await chmod(path, mode);
    const refused = startTestServer({ dataDir });
    await expect(refused).rejects.toThrow(/^refusing to start: group or others may read/);
    const message = await refused.catch((e: Error) => e.message);
    for (const { path, mode, fix } of loosened)
      expect(message).toContain(`${path} (mode 0${mode.toString(8)}): ${fix} ${path}`);
    expect(message).toContain(`chmod -R go-rwx ${dataDir}`);
    expect(message).not.toContain(devToken);
    // nothing was opened or changed: the modes are as they were, and the lock was given back
    for (const { path, mode } of loosened) expect((await stat(path)).mode & 0o777).toBe(mode);

    for (const { path, mode } of loosened) await chmod(path, mode & 0o700);
    server = await startTestServer({ dataDir });
    // started: with a new development token (one per start), in a file private again
    expect(server.devToken).not.toBe(devToken);
    expect((await stat(join(dataDir, "keys", "dev-token"))).mode & 0o777).toBe(0o600);
  });
});
