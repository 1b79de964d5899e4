import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Logger } from "../../ports/Logger.ts";

/** Anvil's first development account: public knowledge, used only for the embedded dev chain. */
export const ANVIL_DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/**
 * Anvil's tenth development account (#9): deploys the embedded chain's contracts and keeps their
 * admin roles, so that the server's key ({@link ANVIL_DEV_PRIVATE_KEY}) holds the anchorer role
 * only, as it must on a real chain. Public knowledge too: the embedded chain is a dev chain.
 */
export const ANVIL_DEV_ADMIN_PRIVATE_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";

const require = createRequire(import.meta.url);

/** Path of the anvil binary shipped inside the @foundry-rs/anvil platform package. */
export function anvilBinary(): string {
  const platform = `${process.platform === "win32" ? "win32" : process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  const pkg = require.resolve(`@foundry-rs/anvil-${platform}/package.json`);
  return join(dirname(pkg), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

/**
 * An anvil process with its state persisted in `stateDir/state.json`: dumped every second
 * (so a SIGKILL loses at most a second of chain) and on clean exit.
 */
export class EmbeddedChain {
  readonly rpcUrl: string;
  readonly #process: ChildProcess;
  #exited: Promise<void>;

  private constructor(rpcUrl: string, child: ChildProcess, exited: Promise<void>) {
    this.rpcUrl = rpcUrl;
    this.#process = child;
    this.#exited = exited;
  }

  static async start(options: {
    stateDir: string;
    port: number;
    host?: string;
    /** Told when a chain left running by an earlier process is stopped. */
    log?: Logger;
    /** Mine a block every N seconds (needed when waiting for more than one confirmation). */
    blockTimeSeconds?: number;
  }): Promise<EmbeddedChain> {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const pidFile = join(options.stateDir, "anvil.pid");
    await stopStaleChain(pidFile, options.log);
    const args = [
      "--host",
      options.host ?? "127.0.0.1",
      "--port",
      String(options.port),
      "--state",
      join(options.stateDir, "state.json"),
      "--state-interval",
      "1",
      "--chain-id",
      "31337",
      // anvil answers every origin by default: any web page the operator opens could send
      // transactions from its unlocked accounts. The server and the verify CLI are not browsers.
      "--no-cors",
      ...(options.blockTimeSeconds ? ["--block-time", String(options.blockTimeSeconds)] : []),
    ];
    const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.pid !== undefined) await writeFile(pidFile, String(child.pid));
    void exited.then(() => rm(pidFile, { force: true }));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new FhirLedgerError("unavailable", "embedded chain did not start within 30 s")),
        30_000,
      );
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /Listening on ([0-9.]+):(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(`http://${m[1]}:${m[2]}`);
        }
      };
      child.stdout?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(
          new FhirLedgerError(
            "unavailable",
            `embedded chain exited with code ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
          ),
        );
      });
      child.once("error", (cause) => {
        clearTimeout(timer);
        reject(new FhirLedgerError("unavailable", "embedded chain could not be started", { cause }));
      });
    });
    // anvil logs every request on stdout: keep reading it so the pipe never fills, but drop it.
    child.stdout?.removeAllListeners("data");
    child.stdout?.resume();
    return new EmbeddedChain(url, child, exited);
  }

  /** SIGTERM lets anvil dump its state before it exits. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    this.#process.kill("SIGTERM");
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([this.#exited, timeout]);
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill("SIGKILL");
  }

  /** Test hook: simulate a crash. */
  kill(): void {
    this.#process.kill("SIGKILL");
  }

  get running(): boolean {
    return this.#process.exitCode === null && this.#process.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }
}

/**
 * A server killed with SIGKILL leaves its anvil running (children outlive their parent), still
 * owning the state file. Stop it (SIGTERM, so it saves its state) before starting a new one.
 */
async function stopStaleChain(pidFile: string, log?: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, "utf8")).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = "";
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // not running (or not Linux): nothing to stop
  }
  if (cmdline.includes("anvil")) {
    log?.warn(`stopping the embedded chain left running by an earlier process (pid ${pid})`);
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
    }
  }
  await rm(pidFile, { force: true });
}
