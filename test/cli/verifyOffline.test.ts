import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Interface, JsonRpcProvider, ZeroHash, computeAddress, hexlify } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY } from "../../src/adapters/ledger/EmbeddedChain.ts";
import { deployRecordAnchor } from "../../src/adapters/ledger/EvmLedger.ts";
import { loadContractArtifact } from "../../src/adapters/ledger/artifacts.ts";
import { canonicalJson } from "../../src/crypto/canonicalJson.ts";
import { toHex } from "../../src/crypto/hex.ts";
import { sha256 } from "../../src/crypto/sha256.ts";
import { merkleRoot } from "../../src/merkle/merkleRoot.ts";
import { recordLeafHash } from "../../src/records/leaf.ts";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "src/cli/main.ts");
/** Anvil's second development account: not the server's anchoring key, so its nonces stay untouched. */
const OTHER_DEV_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fhirledger <args>` as a separate process, as a third party would. */
function fhirledger(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(NODE, [CLI, ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const patient = {
  resourceType: "Patient",
  identifier: [{ system: "urn:oid:1.2.36.146.595.217.0.1", value: "MRN-5521-OFFLINE" }],
  name: [{ family: "Verifiable", given: ["Oona"] }],
  gender: "female",
  birthDate: "1981-04-09",
};

describe("fhirledger verify: a resource and its $verify proof checked against the chain by a separate process", () => {
  let server: TestServer;
  let dir: string;
  let resourceFile: string;
  let proofFile: string;
  let rpc: string;
  let contract: string;
  let served: Record<string, unknown>;
  const verifyArgs = (over: { resource?: string; proof?: string; rpc?: string; contract?: string } = {}) => [
    "verify",
    "--resource",
    over.resource ?? resourceFile,
    "--proof",
    over.proof ?? proofFile,
    "--rpc",
    over.rpc ?? rpc,
    "--contract",
    over.contract ?? contract,
  ];

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "fhirledger-verify-cli-"));
    const created = await server.json<{ id: string }>("/Patient", { method: "POST", body: JSON.stringify(patient) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const proof = await eventually(async () => {
      const { body } = await server.json<{ parameter: { name: string }[] }>(`/Patient/${id}/_history/1/$verify`);
      return param(body, "verdict") === "verified" ? body : undefined;
    }, 20_000);
    // Saved exactly as served: the bytes a client got from GET and from $verify.
    const read = await server.request(`/Patient/${id}`);
    expect(read.status).toBe(200);
    const text = await read.text();
    served = JSON.parse(text) as Record<string, unknown>;
    resourceFile = join(dir, "r.json");
    proofFile = join(dir, "p.json");
    await writeFile(resourceFile, text);
    await writeFile(proofFile, JSON.stringify(proof, null, 2));
    rpc = server.chain!.rpcUrl;
    contract = server.ledger.contractAddress;
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 and reports every check passed for the resource as served", async () => {
    const run = await fhirledger(verifyArgs());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^VERIFIED/m);
    for (const name of [
      "contentHash",
      "leafHash",
      "inclusionPath",
      "contractAddress",
      "chainId",
      "contractCode",
      "anchorEvent",
      "anchorChain",
      "transactionReceipt",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  pass  ${name}\\b`, "m"));
    }
    expect(run.stdout).toContain(`Patient/${String(served.id)}/_history/1`);
    // The embedded chain is a development chain: the verdict says so, and why.
    expect(run.stdout).toMatch(/^VERIFIED on a DEVELOPMENT chain: .*proves nothing to a third party/m);
    expect(run.stdout).toMatch(
      /^ {2}development chain: chain id 31337 is that of anvil and Hardhat development chains$/m,
    );
    expect(run.stdout).toMatch(
      /^ {2}development chain: the root was anchored by anvil\/Hardhat development account #0 \(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\), whose private key is public$/m,
    );
  });

  it("--json gives the same verdict as data, with where the root sits on chain", async () => {
    const run = await fhirledger([...verifyArgs(), "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      verdict: string;
      checks: { name: string; status: string }[];
      anchor: { chainId: string; contract: string; size: number };
      devChain: string[];
    };
    expect(result.verdict).toBe("verified");
    expect(result.checks).toHaveLength(9);
    expect(result.devChain).toHaveLength(2);
    expect(result.checks.every((c) => c.status === "pass")).toBe(true);
    expect(result.anchor.chainId).toBe("31337");
    expect(result.anchor.contract.toLowerCase()).toBe(contract.toLowerCase());
    expect(result.anchor.size).toBeGreaterThanOrEqual(1);
  });

  it("reads the files as the server parses JSON: a decimal written 105.00 keeps its precision and verifies", async () => {
    const body =
      '{"resourceType":"Observation","status":"final","code":{"text":"glucose"},' +
      '"valueQuantity":{"value":105.00,"unit":"mg/dL"},"referenceRange":[{"low":{"value":70.0}}]}';
    const created = await server.request("/Observation", { method: "POST", body });
    expect(created.status).toBe(201);
    const id = /\/Observation\/([^/]+)\//.exec(created.headers.get("location") ?? "")![1]!;
    const proof = await eventually(async () => {
      const { body: p } = await server.json<{ parameter: { name: string }[] }>(`/Observation/${id}/_history/1/$verify`);
      return param(p, "verdict") === "verified" ? p : undefined;
    }, 20_000);
    const text = await (await server.request(`/Observation/${id}`)).text();
    expect(text).toContain('"value":105.00');
    const decimalResource = join(dir, "decimal.json");
    const decimalProof = join(dir, "decimal-proof.json");
    await writeFile(decimalResource, text);
    await writeFile(decimalProof, JSON.stringify(proof));
    const run = await fhirledger(verifyArgs({ resource: decimalResource, proof: decimalProof }));
    expect(run.stdout).toMatch(/^ {2}pass {2}contentHash\b/m);
    expect(run.code).toBe(0);
  });

  it("exits 1 naming contentHash when one field of the resource was changed", async () => {
    const changed = join(dir, "changed.json");
    await writeFile(changed, JSON.stringify({ ...served, birthDate: "1981-04-10" }));
    const run = await fhirledger(verifyArgs({ resource: changed }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}contentHash\b.*not the stored resource/m);
    expect(run.stdout).toMatch(/NOT VERIFIED \(mismatch\): failed contentHash/);
    // The root itself is anchored: the chain checks pass, the resource is what is wrong.
    expect(run.stdout).toMatch(/^ {2}pass {2}anchorEvent\b/m);
  });

  it("exits 1 when the resource is a later version than the proof's", async () => {
    const updated = await server.json<Record<string, unknown>>(`/Patient/${String(served.id)}`, {
      method: "PUT",
      body: JSON.stringify({ ...served, meta: undefined, gender: "other" }),
    });
    expect(updated.status).toBe(200);
    const v2 = join(dir, "v2.json");
    await writeFile(v2, JSON.stringify(updated.body));
    const run = await fhirledger(verifyArgs({ resource: v2 }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^ {2}FAIL {2}leafHash\b.*the proof is for Patient\/.+\/_history\/1 but the resource is Patient\/.+\/_history\/2/m,
    );
  });

  it("exits 1 when the trusted contract is another RecordAnchor that never anchored this root", async () => {
    const other = await deployRecordAnchor(rpc, OTHER_DEV_KEY);
    const run = await fhirledger(verifyArgs({ contract: other }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}pass {2}contentHash\b/m);
    expect(run.stdout).toMatch(/^ {2}pass {2}contractCode\b/m);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}contractAddress\b/m);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}anchorEvent\b.*never anchored root/m);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}transactionReceipt\b/m);
  });

  it("exits 1 when the contract address holds no contract", async () => {
    const run = await fhirledger(verifyArgs({ contract: "0x000000000000000000000000000000000000dEaD" }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}contractCode\b.*no contract/m);
  });

  it("exits 1 as inconclusive, not as a pass, when the chain cannot be reached", async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const run = await fhirledger([
      ...verifyArgs({ rpc: `http://127.0.0.1:${port}/secret-api-key` }),
      "--timeout",
      "3000",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/NOT VERIFIED \(inconclusive\)/);
    expect(run.stdout).toMatch(/^ {2}---- {2}anchorEvent\b.*did not answer.*ECONNREFUSED/m);
    expect(run.stdout).not.toContain("secret-api-key");
  });

  it("gives up on an endpoint that accepts connections but never answers, within the timeout", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const started = Date.now();
      const run = await fhirledger([
        ...verifyArgs({ rpc: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }),
        "--timeout",
        "1000",
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^ {2}---- {2}chainId\b.*no answer within 1000 ms/m);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("exits 2 on usage errors: missing option, bad address, a file that is not a proof", async () => {
    const missing = await fhirledger(["verify", "--resource", resourceFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --proof, --rpc, --contract/);
    const badAddress = await fhirledger(verifyArgs({ contract: "0x1234" }));
    expect(badAddress.code).toBe(2);
    const notAProof = await fhirledger(verifyArgs({ proof: resourceFile }));
    expect(notAProof.code).toBe(2);
    expect(notAProof.stderr).toMatch(/neither a \$verify Parameters resource nor a RecordProof/);
    const twice = join(dir, "twice.json");
    await writeFile(twice, '{"resourceType":"Patient","id":"a","id":"b"}');
    const duplicate = await fhirledger(verifyArgs({ resource: twice }));
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/is not JSON as the server reads it: .*member 'id' twice/);
  });
});

describe("fhirledger verify and a root anchored outside the server's prevRoot-linked chain", () => {
  let server: TestServer;
  let dir: string;
  let genuine: { resource: string; proof: string; id: string };

  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "fhirledger-verify-forged-"));
    const created = await server.json<{ id: string }>("/Observation", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Observation", status: "final", code: { text: "potassium 4.1" } }),
    });
    const id = created.body.id;
    await server.anchorer.flush();
    const proof = await server.json(`/Observation/${id}/_history/1/$verify`);
    expect(param(proof.body, "verdict")).toBe("verified");
    genuine = { resource: join(dir, "genuine.json"), proof: join(dir, "genuine-proof.json"), id };
    await writeFile(genuine.resource, await (await server.request(`/Observation/${id}`)).text());
    await writeFile(genuine.proof, JSON.stringify(proof.body));
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = (resource: string, proof: string) =>
    fhirledger([
      "verify",
      "--resource",
      resource,
      "--proof",
      proof,
      "--rpc",
      server.chain!.rpcUrl,
      "--contract",
      server.ledger.contractAddress,
    ]);

  it("refuses a forged Observation that someone on the machine anchored with anchor(root, 1, 0, 0)", async () => {
    const genuineRun = await verify(genuine.resource, genuine.proof);
    expect(genuineRun.code).toBe(0);
    expect(genuineRun.stdout).toMatch(/^ {2}pass {2}anchorChain\b.*batch 1 of the single prevRoot-linked chain/m);

    // The forger claims the genuine record's own reference, with other content.
    const forged = {
      resourceType: "Observation",
      id: genuine.id,
      meta: { versionId: "1", lastUpdated: "2026-01-01T00:00:00.000Z" },
      status: "final",
      code: { text: "potassium 7.9" },
    };
    const contentHash = toHex(sha256(canonicalJson(forged)));
    const cid = "bafkreiforgedforgedforgedforgedforgedforgedforgedforgedforge";
    const leaf = recordLeafHash({ type: "Observation", id: genuine.id, versionId: "1", cid, contentHash });
    const root = hexlify(merkleRoot([leaf]));
    // No key needed: anvil's accounts are unlocked, so eth_sendTransaction from the server's account works.
    const provider = new JsonRpcProvider(server.chain!.rpcUrl, undefined, { staticNetwork: true });
    let receipt;
    try {
      const signer = await provider.getSigner(computeAddress(ANVIL_DEV_PRIVATE_KEY));
      const iface = new Interface(loadContractArtifact("RecordAnchor").abi as never);
      const tx = await signer.sendTransaction({
        to: server.ledger.contractAddress,
        data: iface.encodeFunctionData("anchor", [root, 1, ZeroHash, ZeroHash]),
      });
      receipt = (await tx.wait())!;
    } finally {
      provider.destroy();
    }
    expect(receipt.status).toBe(1);
    const forgedResource = join(dir, "forged.json");
    const forgedProof = join(dir, "forged-proof.json");
    await writeFile(forgedResource, JSON.stringify(forged));
    await writeFile(
      forgedProof,
      JSON.stringify({
        reference: `Observation/${genuine.id}/_history/1`,
        cid,
        contentHash,
        leafHash: toHex(leaf),
        leafIndex: 0,
        treeSize: 1,
        path: [],
        root: root.slice(2),
        prevRoot: "00".repeat(32),
        manifestDigest: "00".repeat(32),
        chainId: "31337",
        contract: server.ledger.contractAddress,
        transactionHash: receipt.hash,
        blockNumber: receipt.blockNumber,
      }),
    );

    const run = await verify(forgedResource, forgedProof);
    // Every other check passes: the forgery is only visible in the shape of the anchor log.
    expect(run.stdout).toMatch(/^ {2}pass {2}anchorEvent\b/m);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}anchorChain\b.*2 batches start a log \(prevRoot zero\)/m);
    expect(run.stdout).toMatch(/NOT VERIFIED \(mismatch\): failed anchorChain/);
    expect(run.code).toBe(1);

    // The genuine record shares that fork point: the chain alone cannot tell which log is the
    // server's, so it is refused too (fail closed), with the same reason.
    const after = await verify(genuine.resource, genuine.proof);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^ {2}FAIL {2}anchorChain\b.*2 batches start a log \(prevRoot zero\)/m);
  });
});
