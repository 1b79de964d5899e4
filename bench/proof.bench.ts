/**
 * Proof verification benchmark: how long a third party needs to check one `$verify` proof.
 *
 * Local part (verifyProofLocally: canonical JSON + SHA-256 of a ~1.4 KB Observation, record
 * leaf, 12-step RFC 6962 path of a 4096-leaf batch), timed per proof over N proofs; target
 * ≤ 1 ms per proof. Then the chain part (verifyAnchorOnChain: chain id, code, RootAnchored
 * log, receipt) against an anvil started here, with the batch root really anchored, printed
 * separately because it is dominated by RPC round trips.
 *
 *   node bench/proof.bench.ts
 *   node bench/proof.bench.ts --proofs 50000 --leaves 4096 --rpc-rounds 300
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { JsonRpcProvider } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedChain } from "../src/adapters/ledger/EmbeddedChain.ts";
import { EvmLedger, deployRecordAnchor } from "../src/adapters/ledger/EvmLedger.ts";
import { canonicalJson } from "../src/crypto/canonicalJson.ts";
import { parseJsonBody } from "../src/json/parseJsonBody.ts";
import { parseProof } from "../src/verify/parseProof.ts";
import { buildProofBatch, sampleObservation } from "../src/verify/testSupport/proofBatch.ts";
import { verifyAnchorOnChain } from "../src/verify/verifyAnchorOnChain.ts";
import { verifyOffline } from "../src/verify/verifyOffline.ts";
import { verifyProofLocally } from "../src/verify/verifyProofLocally.ts";

const { values } = parseArgs({
  options: {
    proofs: { type: "string", default: "20000" },
    leaves: { type: "string", default: "4096" },
    "rpc-rounds": { type: "string", default: "200" },
    "extra-blocks": { type: "string", default: "10000" },
  },
});
const N = Number(values.proofs);
const LEAVES = Number(values.leaves);
const RPC_ROUNDS = Number(values["rpc-rounds"]);
const EXTRA_BLOCKS = Number(values["extra-blocks"]);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
function summary(samples: number[]): { p50: number; p99: number; mean: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    max: sorted.at(-1) as number,
  };
}
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const msf = (ms: number) => `${ms.toFixed(2)} ms`;

// ---- batch --------------------------------------------------------------------------------
const built = performance.now();
const batch = buildProofBatch(Array.from({ length: LEAVES }, (_, i) => sampleObservation(i)));
const placeholderAnchor = {
  chainId: "31337",
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  transactionHash: `0x${"11".repeat(32)}`,
  blockNumber: 2,
};
const proofs = batch.proofs(placeholderAnchor);
// The files' bytes, which fhirledger verify parses as the server parses a request body.
const resourceFiles = batch.resources.map((r) => Buffer.from(JSON.stringify(r)));
const proofFiles = proofs.map((p) => Buffer.from(JSON.stringify(p)));
const avgBytes = batch.resources.reduce((n, r) => n + canonicalJson(r).length, 0) / LEAVES;
const pathSteps = parseProof(proofs[0]).path.length;
console.log(
  `\nfhirledger proof verification bench; Node ${process.version}; ${cpus()[0]?.model ?? "cpu"} × ${cpus().length}`,
);
console.log(
  `batch: ${LEAVES} leaves (built in ${(performance.now() - built).toFixed(0)} ms), Observation resources of ${avgBytes.toFixed(0)} B canonical JSON on average, ${pathSteps}-step paths\n`,
);

// ---- local part ---------------------------------------------------------------------------
function timeLocal(label: string, verifyOne: (index: number) => boolean): void {
  for (let i = 0; i < 2000; i++) verifyOne(i % LEAVES); // warm-up (JIT)
  const samples: number[] = new Array(N);
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const index = (i * 2654435761) % LEAVES; // spread over the batch, not leaf order
    const t0 = performance.now();
    const ok = verifyOne(index);
    samples[i] = performance.now() - t0;
    if (!ok) failures++;
  }
  const wall = performance.now() - started;
  const s = summary(samples);
  console.log(
    `${label.padEnd(48)} p50 ${us(s.p50).padStart(9)}  p99 ${us(s.p99).padStart(9)}  mean ${us(s.mean).padStart(9)}  ${(N / (wall / 1000)).toFixed(0).padStart(7)} proofs/s${failures ? `  FAILURES ${failures}` : ""}`,
  );
  if (failures) process.exitCode = 1;
}
const allPass = (r: { checks: { status: string }[] }) => r.checks.every((c) => c.status === "pass");

console.log(`local checks (a–c), ${N} proofs, one at a time on one core:`);
timeLocal("  verifyProofLocally (objects in memory)", (i) =>
  allPass(verifyProofLocally({ resource: batch.resources[i], proof: proofs[i] })),
);
timeLocal("  parseJsonBody of both files + verifyProofLocally", (i) =>
  allPass(
    verifyProofLocally({
      resource: parseJsonBody(resourceFiles[i] as Buffer),
      proof: parseJsonBody(proofFiles[i] as Buffer),
    }),
  ),
);
console.log("  target: ≤ 1 ms per proof excluding RPC\n");

// ---- chain part ---------------------------------------------------------------------------
const stateDir = await mkdtemp(join(tmpdir(), "fhirledger-proof-bench-"));
const chain = await EmbeddedChain.start({ stateDir, port: 0 });
try {
  const contract = await deployRecordAnchor(chain.rpcUrl, ANVIL_DEV_PRIVATE_KEY);
  const ledger = new EvmLedger({
    rpcUrl: chain.rpcUrl,
    privateKey: ANVIL_DEV_PRIVATE_KEY,
    recordAnchorAddress: contract,
    confirmations: 1,
  });
  const receipt = await ledger.anchor({
    root: batch.root,
    size: LEAVES,
    manifestDigest: batch.manifestDigest,
    prevRoot: batch.prevRoot,
  });
  await ledger.close();
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
  await provider.send("anvil_mine", [`0x${EXTRA_BLOCKS.toString(16)}`]);
  provider.destroy();
  const anchored = batch.proofs({
    chainId: receipt.chainId.toString(),
    contract,
    transactionHash: receipt.txHash,
    blockNumber: receipt.blockNumber,
  });
  const withoutHint = anchored.map((p) => ({
    ...p,
    parameter: (p.parameter as { name: string }[]).filter((x) => x.name !== "blockNumber"),
  }));
  console.log(
    `chain checks (d) against anvil at ${chain.rpcUrl}: root anchored in block ${receipt.blockNumber}, then ${EXTRA_BLOCKS} more blocks mined; ${RPC_ROUNDS} proofs each, sequential, new provider per proof:`,
  );

  async function timeRpc(label: string, verifyOne: (index: number) => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 10; i++) await verifyOne(i);
    const samples: number[] = [];
    let failures = 0;
    for (let i = 0; i < RPC_ROUNDS; i++) {
      const t0 = performance.now();
      if (!(await verifyOne((i * 2654435761) % LEAVES))) failures++;
      samples.push(performance.now() - t0);
    }
    const s = summary(samples);
    console.log(
      `${label.padEnd(48)} p50 ${msf(s.p50).padStart(9)}  p99 ${msf(s.p99).padStart(9)}  mean ${msf(s.mean).padStart(9)}${failures ? `  FAILURES ${failures}` : ""}`,
    );
    if (failures) process.exitCode = 1;
  }
  await timeRpc("  verifyAnchorOnChain, block hint", async (i) =>
    allPass(await verifyAnchorOnChain({ proof: parseProof(anchored[i]), rpcUrl: chain.rpcUrl, contract })),
  );
  await timeRpc("  verifyAnchorOnChain, no hint (full range)", async (i) =>
    allPass(await verifyAnchorOnChain({ proof: parseProof(withoutHint[i]), rpcUrl: chain.rpcUrl, contract })),
  );
  await timeRpc(
    "  verifyOffline (local + chain), block hint",
    async (i) =>
      (await verifyOffline({ resource: batch.resources[i], proof: anchored[i], rpcUrl: chain.rpcUrl, contract }))
        .verdict === "verified",
  );
  console.log(
    "  (RPC calls per proof: eth_chainId, then concurrently eth_getCode, eth_blockNumber, eth_getLogs (one block, or 0..latest without a hint), eth_getLogs of every RootAnchored event (0..latest, in ranges of 50,000 blocks) for the prevRoot chain, eth_getTransactionByHash (dev chain label), eth_getTransactionReceipt)\n",
  );
} finally {
  await chain.stop();
  await rm(stateDir, { recursive: true, force: true });
}
