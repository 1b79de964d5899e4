import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ANVIL_DEV_ADMIN_PRIVATE_KEY,
  ANVIL_DEV_PRIVATE_KEY,
  EmbeddedChain,
} from "../../src/adapters/ledger/EmbeddedChain.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";

const TOKEN = "server-lock-test-token-0123456789";
const NODE = join(process.cwd(), "node_modules/.bin/node");

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, ["src/cli/main.ts", ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (e, o, r) =>
      resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, stdout: o, stderr: r }),
    );
  });
}

/** `npm start` as a child process (so it can be SIGKILLed); resolves once it listens. */
async function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(NODE, ["src/main.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Base URL:\s+(\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, baseUrl: /Base URL:\s+(\S+)/.exec(out)![1]! };
}

describe("the data directory is locked while the server runs (external chain)", () => {
  let chain: EmbeddedChain | undefined;
  let server: ChildProcess | undefined;
  const dirs: string[] = [];
  afterAll(async () => {
    server?.kill("SIGKILL");
    await chain?.stop();
    for (const d of dirs) await removeDir(d);
  });

  it("every maintenance command and a second server refuse while it runs, and work after it was SIGKILLed", async () => {
    const chainDir = await mkdtemp(join(tmpdir(), "fhirledger-lock-chain-"));
    const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-lock-data-"));
    dirs.push(chainDir, dataDir);
    chain = await EmbeddedChain.start({ stateDir: chainDir, port: 0 });
    const env = {
      FHIRLEDGER_DATA_DIR: dataDir,
      FHIRLEDGER_PORT: "0",
      FHIRLEDGER_CHAIN_RPC_URL: chain.rpcUrl,
      FHIRLEDGER_CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
      // the anchoring key may not deploy: a separate admin key does (see chainKeys.test.ts)
      FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY: ANVIL_DEV_ADMIN_PRIVATE_KEY,
      FHIRLEDGER_ANCHOR_INTERVAL_MS: "100",
      FHIRLEDGER_DEV_TOKEN: TOKEN,
    };
    const started = await startServerProcess(env);
    server = started.child;
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/fhir+json" };
    const created = await fetch(`${started.baseUrl}/Patient`, {
      method: "POST",
      headers,
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Lockwood" }] }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;

    const kekBefore = await readFile(join(dataDir, "keys", "kek.key"));
    const out = join(dataDir, "rebuilt.sqlite");
    const holder = new RegExp(`${dataDir} is in use by the server \\(pid ${server.pid}, since [^)]+\\): stop it first`);
    for (const args of [["rotate-kek"], ["rotate-data-keys"], ["rebuild", "--out", out]]) {
      const run = await cli(args, env);
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toMatch(holder);
    }
    expect(Buffer.compare(await readFile(join(dataDir, "keys", "kek.key")), kekBefore)).toBe(0);
    await expect(stat(out)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(
      startTestServer({
        dataDir,
        env: {
          FHIRLEDGER_CHAIN_RPC_URL: chain.rpcUrl,
          FHIRLEDGER_CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
          FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY: ANVIL_DEV_ADMIN_PRIVATE_KEY,
        },
      }),
    ).rejects.toMatchObject({ code: "conflict", message: expect.stringMatching(holder) });

    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGKILL");
    await exited;
    server = undefined;

    const rotated = await cli(["rotate-kek"], env);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    expect(Buffer.compare(await readFile(join(dataDir, "keys", "kek.key")), kekBefore)).not.toBe(0);
    const rebuilt = await cli(["rebuild", "--out", out], env);
    expect(rebuilt.stderr).toBe("");
    expect(rebuilt.code).toBe(0);

    // the record written before the rotation reads back under the new KEK, and new writes work
    const again = await startServerProcess(env);
    server = again.child;
    const read = await fetch(`${again.baseUrl}/Patient/${id}`, { headers });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: { family: string }[] }).name[0]!.family).toBe("Lockwood");
    const later = await fetch(`${again.baseUrl}/Patient`, {
      method: "POST",
      headers,
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Afterwards" }] }),
    });
    expect(later.status).toBe(201);
  }, 180_000);
});
