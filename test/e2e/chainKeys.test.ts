import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider, computeAddress, id } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinoLogger } from "../../src/adapters/logging/pinoLogger.ts";
import { loadContractArtifact } from "../../src/adapters/ledger/artifacts.ts";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedChain } from "../../src/adapters/ledger/EmbeddedChain.ts";
import { loadConfig } from "../../src/config/loadConfig.ts";
import { startServer } from "../../src/server/startServer.ts";
import { param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;

describe("the server's chain key: anchorer only, never a public key off this machine", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("deploys the embedded chain's contracts from a separate admin account; the server's key may only anchor", async () => {
    const deployments = JSON.parse(await readFile(join(server.dataDir, "deployments.json"), "utf8")).embedded as {
      recordAnchor: string;
      consentRegistry: string;
      organizationRegistry: string;
    };
    const provider = new JsonRpcProvider(server.chain!.rpcUrl, undefined, { staticNetwork: true });
    try {
      const serverAddress = computeAddress(ANVIL_DEV_PRIVATE_KEY);
      const at = (name: "RecordAnchor" | "ConsentRegistry" | "OrganizationRegistry", address: string) =>
        new Contract(address, loadContractArtifact(name).abi as never, provider);
      const hasRole = (c: Contract, role: string, who: string) =>
        c.getFunction("hasRole")(role, who) as Promise<boolean>;
      const anchor = at("RecordAnchor", deployments.recordAnchor);
      const consent = at("ConsentRegistry", deployments.consentRegistry);
      const orgs = at("OrganizationRegistry", deployments.organizationRegistry);
      expect(await hasRole(anchor, id("ANCHORER_ROLE"), serverAddress)).toBe(true);
      for (const c of [anchor, consent, orgs]) expect(await hasRole(c, DEFAULT_ADMIN_ROLE, serverAddress)).toBe(false);
      expect(await hasRole(consent, id("OPERATOR_ROLE"), serverAddress)).toBe(false);
      expect(await hasRole(orgs, id("REGISTRAR_ROLE"), serverAddress)).toBe(false);
      // The deployment transaction came from the admin account, which holds the admin role.
      const deployTx = await provider.getTransaction(
        (await provider.getLogs({ address: deployments.recordAnchor, fromBlock: 0, toBlock: "latest" }))[0]!
          .transactionHash,
      );
      expect(deployTx!.from).not.toBe(serverAddress);
      expect(await hasRole(anchor, DEFAULT_ADMIN_ROLE, deployTx!.from)).toBe(true);
      // And anchoring still works with the anchorer role alone.
      const created = await server.json<{ id: string }>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Roles" }] }),
      });
      expect(created.status).toBe(201);
      await server.anchorer.flush();
      const proof = await server.json(`/Patient/${created.body.id}/$verify`);
      expect(param(proof.body, "verdict")).toBe("verified");
    } finally {
      provider.destroy();
    }
  });
});

describe("an external chain that is not on this machine", () => {
  const start = async (env: Record<string, string>) => {
    const dataDir = await mkdtemp(join(tmpdir(), "fhirledger-keys-"));
    const lines: string[] = [];
    const log = pinoLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    const started = Date.now();
    try {
      const config = loadConfig({
        FHIRLEDGER_DATA_DIR: dataDir,
        FHIRLEDGER_PORT: "0",
        // Never contacted: the key is refused before any request.
        FHIRLEDGER_CHAIN_RPC_URL: "http://rpc.example.com:8545/v3/SECRET",
        FHIRLEDGER_CHAIN_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
        ...env,
      });
      const error = await startServer(config, log).then(
        async (s) => {
          await s.close();
          return null;
        },
        (e: unknown) => e as Error,
      );
      return { error, ms: Date.now() - started };
    } finally {
      await removeDir(dataDir);
    }
  };

  it("refuses the well-known anvil/Hardhat key at start-up, with or without a configured contract", async () => {
    const configured = { FHIRLEDGER_RECORD_ANCHOR_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
    for (const env of [{}, configured] as Record<string, string>[]) {
      const { error, ms } = await start(env);
      expect(error?.message).toMatch(
        /anchoring key is anvil\/Hardhat development account #0 \(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\), whose private key is public/,
      );
      expect(error?.message).toMatch(/refused for http:\/\/rpc\.example\.com:8545\/…, which is not a loopback address/);
      expect(error?.message).not.toContain("SECRET");
      expect(ms).toBeLessThan(20_000);
    }
  });
});

describe("an external chain on this machine (anvil started separately)", () => {
  /** Anvil's development accounts #2 and #3: allowed, since the endpoint is a loopback address. */
  const ANCHORING_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
  const ADMIN_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
  let chainDir: string;
  let chain: EmbeddedChain;
  beforeAll(async () => {
    chainDir = await mkdtemp(join(tmpdir(), "fhirledger-external-"));
    chain = await EmbeddedChain.start({ stateDir: chainDir, port: 0 });
  });
  afterAll(async () => {
    await chain?.stop();
    if (chainDir) await removeDir(chainDir);
  });

  it("deploys only with a separate admin key, which keeps the admin role; the anchoring key gets the anchorer role", async () => {
    const env = { FHIRLEDGER_CHAIN_RPC_URL: chain.rpcUrl, FHIRLEDGER_CHAIN_PRIVATE_KEY: ANCHORING_KEY };
    const log = pinoLogger({ level: "error", destination: { write: () => {} } });
    const withoutAdmin = await mkdtemp(join(tmpdir(), "fhirledger-external-data-"));
    try {
      const config = loadConfig({ FHIRLEDGER_DATA_DIR: withoutAdmin, FHIRLEDGER_PORT: "0", ...env });
      await expect(startServer(config, log)).rejects.toThrow(
        /no RecordAnchor is configured or remembered for this chain, and the anchoring key may not deploy one/,
      );
    } finally {
      await removeDir(withoutAdmin);
    }
    const server = await startTestServer({ env: { ...env, FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY: ADMIN_KEY } });
    try {
      const anchor = new Contract(
        server.ledger.contractAddress,
        loadContractArtifact("RecordAnchor").abi as never,
        new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true }),
      );
      const hasRole = (role: string, key: string) => anchor.getFunction("hasRole")(role, computeAddress(key));
      expect(await hasRole(DEFAULT_ADMIN_ROLE, ADMIN_KEY)).toBe(true);
      expect(await hasRole(DEFAULT_ADMIN_ROLE, ANCHORING_KEY)).toBe(false);
      expect(await hasRole(id("ANCHORER_ROLE"), ANCHORING_KEY)).toBe(true);
      expect(await hasRole(id("ANCHORER_ROLE"), ADMIN_KEY)).toBe(false);
      (anchor.runner as JsonRpcProvider).destroy();
    } finally {
      await server.close();
      await removeDir(server.dataDir);
    }
  });
});
