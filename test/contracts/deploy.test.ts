import { spawn, execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "hardhat";
import { Contract, JsonRpcProvider } from "ethers";
import { deployContracts, loadArtifact } from "../../scripts/deploy.ts";

const { ethers } = await network.connect();
const [deployer, admin, anchorer] = await ethers.getSigners();
const DEPLOY_SCRIPT = fileURLToPath(new URL("../../scripts/deploy.ts", import.meta.url));
/** Anvil's first development account: public knowledge. */
const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("loadArtifact", () => {
  it("returns the ABI and bytecode Hardhat built", () => {
    const artifact = loadArtifact("RecordAnchor");
    expect(artifact.contractName).toBe("RecordAnchor");
    expect(artifact.bytecode).toMatch(/^0x[0-9a-f]{100,}$/);
    expect(JSON.stringify(artifact.abi)).toContain('"RootAnchored"');
  });

  it("rejects a missing artifact, an interface and a path-like name", () => {
    expect(() => loadArtifact("NoSuchContract")).toThrow(/missing/);
    expect(() =>
      loadArtifact("IRecordAnchor", new URL("../../artifacts/contracts/interfaces/", import.meta.url)),
    ).toThrow(/no bytecode/);
    expect(() => loadArtifact("../RecordAnchor")).toThrow(/invalid contract name/);
  });
});

describe("deployContracts", () => {
  it("deploys the three contracts with the given signer and role holders", async () => {
    const result = await deployContracts({ signer: deployer!, admin: admin!.address, anchorer: anchorer!.address });
    expect(result.deployer).toBe(deployer!.address);
    expect(result.roles).toEqual({
      admin: admin!.address,
      anchorer: anchorer!.address,
      operator: deployer!.address,
      registrar: deployer!.address,
    });
    const role = (name: string) => ethers.id(name);
    const at = (name: string, address: string) => new Contract(address, loadArtifact(name).abi, ethers.provider);
    const anchor = at("RecordAnchor", result.recordAnchor.address);
    const consent = at("ConsentRegistry", result.consentRegistry.address);
    const orgs = at("OrganizationRegistry", result.organizationRegistry.address);
    expect(await anchor.getFunction("hasRole")(ethers.ZeroHash, admin!.address)).toBe(true);
    expect(await anchor.getFunction("hasRole")(ethers.ZeroHash, deployer!.address)).toBe(false);
    expect(await anchor.getFunction("hasRole")(role("ANCHORER_ROLE"), anchorer!.address)).toBe(true);
    expect(await consent.getFunction("hasRole")(role("OPERATOR_ROLE"), deployer!.address)).toBe(true);
    expect(await orgs.getFunction("hasRole")(role("REGISTRAR_ROLE"), deployer!.address)).toBe(true);
    for (const d of [result.recordAnchor, result.consentRegistry, result.organizationRegistry]) {
      const receipt = await ethers.provider.getTransactionReceipt(d.transactionHash);
      expect(receipt?.contractAddress).toBe(d.address);
      expect(receipt?.blockNumber).toBe(d.blockNumber);
    }
  });

  it("fails fast on an unreachable endpoint, without credentials or the API key a hosted URL carries in its path", async () => {
    const started = Date.now();
    await expect(
      deployContracts({ rpcUrl: "http://user:secret@127.0.0.1:1/v3/PATHKEY?apikey=secret", privateKey: ANVIL_KEY }),
    ).rejects.toThrow(/^cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:1\/…$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("node scripts/deploy.ts (against anvil over JSON-RPC)", () => {
  let anvil: ChildProcess;
  let rpcUrl: string;

  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    const pkg = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
    anvil = spawn(join(dirname(pkg), "bin", "anvil"), ["--port", "0", "--chain-id", "31337"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    rpcUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      anvil.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /Listening on ([0-9.]+:\d+)/.exec(out);
        if (m) resolve(`http://${m[1]}`);
      });
      anvil.once("exit", (code) => reject(new Error(`anvil exited with ${code}`)));
    });
    anvil.stdout!.removeAllListeners("data");
    anvil.stdout!.resume();
  });

  afterAll(() => {
    anvil?.kill("SIGTERM");
  });

  it("prints the deployed addresses as JSON", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      DEPLOY_SCRIPT,
      "--rpc",
      rpcUrl,
      "--key",
      ANVIL_KEY,
      "--anchorer",
      anchorer!.address,
    ]);
    const result = JSON.parse(stdout);
    expect(result.chainId).toBe("31337");
    expect(result.roles.anchorer).toBe(anchorer!.address);
    const provider = new JsonRpcProvider(rpcUrl, 31337, { staticNetwork: true });
    try {
      for (const key of ["recordAnchor", "consentRegistry", "organizationRegistry"]) {
        expect(await provider.getCode(result[key].address)).not.toBe("0x");
      }
    } finally {
      provider.destroy();
    }
  });

  it("refuses a well-known development key for an endpoint that is not on this machine, before connecting", async () => {
    const started = Date.now();
    await expect(
      promisify(execFile)(process.execPath, [
        DEPLOY_SCRIPT,
        "--rpc",
        "http://rpc.example.com:8545/v3/SECRET",
        "--key",
        ANVIL_KEY,
        "--anchorer",
        anchorer!.address,
      ]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^deploy failed: the deploying key is anvil\/Hardhat development account #0 \(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\), whose private key is public; it is refused for http:\/\/rpc\.example\.com:8545\/…, which is not a loopback address/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    // A role for a development account is refused the same way: its key is public too.
    await expect(
      deployContracts({
        rpcUrl: "https://rpc.example.com",
        privateKey: `0x${"11".repeat(32)}`,
        anchorer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      }),
    ).rejects.toThrow(/^the anchorer role would be anvil\/Hardhat development account #1 /);
  });

  it("gives the server's address the anchorer role only: --anchorer is required and may hold no other role", async () => {
    const run = (args: string[]) => promisify(execFile)(process.execPath, [DEPLOY_SCRIPT, "--rpc", rpcUrl, ...args]);
    await expect(run(["--key", ANVIL_KEY])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^deploy failed: usage: .*--anchorer ADDR/),
    });
    const deployerAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    for (const [args, role] of [
      [["--anchorer", deployerAddress], "admin"],
      [["--admin", anchorer!.address, "--anchorer", anchorer!.address], "admin"],
      // Another admin, but the deployer keeps the operator role unless told otherwise.
      [["--admin", admin!.address, "--anchorer", deployerAddress], "operator"],
    ] as const) {
      await expect(run(["--key", ANVIL_KEY, ...args])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(
          new RegExp(
            `^deploy failed: the anchorer 0x[0-9a-fA-F]{40} must hold no other role, but would also be the ${role}:`,
          ),
        ),
      });
    }
  });

  it("exits 1 with the usage when an option is missing", async () => {
    await expect(promisify(execFile)(process.execPath, [DEPLOY_SCRIPT, "--rpc", rpcUrl])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^deploy failed: usage:/),
    });
  });
});
