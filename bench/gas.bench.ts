/**
 * Gas used by every on-chain operation of fhirledger, measured as receipt gasUsed (21,000 intrinsic
 * included) on Hardhat's in-process network, against the budgets the contracts are designed to.
 *
 *   npx hardhat build --quiet && node bench/gas.bench.ts
 */
import { network } from "hardhat";
import { Contract, hexlify, randomBytes } from "ethers";
import type { ContractTransactionResponse, Signer, TypedDataDomain } from "ethers";
import { deployContracts, loadArtifact } from "../scripts/deploy.ts";
import { GRANT_TYPES, REVOKE_TYPES, consentDomain, patientCommitment } from "../src/consent/consentTypedData.ts";

const { ethers } = await network.connect();
const [deployer, patient, relayer] = await ethers.getSigners();
if (deployer === undefined || patient === undefined || relayer === undefined) throw new Error("need 3 signers");

const NO_END = 2n ** 64n - 1n;
const rand32 = (): string => hexlify(randomBytes(32));

interface Row {
  operation: string;
  gas: bigint;
  budget?: bigint;
  note?: string;
}
const rows: Row[] = [];

async function measure(operation: string, tx: Promise<ContractTransactionResponse>, budget?: bigint, note?: string) {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`${operation}: transaction failed`);
  rows.push({ operation, gas: receipt.gasUsed, budget, note });
  return receipt.gasUsed;
}

// Deployment, through the same function operators use, so its gas is measured too.
const deployed = await deployContracts({ signer: deployer });
for (const [label, d] of [
  ["deploy RecordAnchor", deployed.recordAnchor],
  ["deploy ConsentRegistry", deployed.consentRegistry],
  ["deploy OrganizationRegistry", deployed.organizationRegistry],
] as const) {
  const receipt = await ethers.provider.getTransactionReceipt(d.transactionHash);
  rows.push({ operation: label, gas: receipt!.gasUsed });
}
const at = (name: string, address: string, signer: Signer) => new Contract(address, loadArtifact(name).abi, signer);
const anchor = at("RecordAnchor", deployed.recordAnchor.address, deployer);
const consent = at("ConsentRegistry", deployed.consentRegistry.address, deployer);
const orgs = at("OrganizationRegistry", deployed.organizationRegistry.address, deployer);

// Anchoring: one transaction per batch, whatever its size, so the cost per record falls with the batch.
// A random prevRoot (not the zero of a log's first batch) makes every calldata byte count as non-zero.
let prevRoot = rand32();
for (const size of [1n, 512n, 4096n]) {
  const root = rand32();
  const gas = await measure(
    `anchor (batch of ${size})`,
    anchor.getFunction("anchor")(root, size, rand32(), prevRoot),
    30_000n,
  );
  rows.at(-1)!.note = `${(Number(gas) / Number(size)).toFixed(size === 1n ? 0 : 1)} gas per record`;
  prevRoot = root;
}

// Consent, operator path.
const commitment = rand32();
await measure("consent grant (operator)", consent.getFunction("grant")(commitment, NO_END), 50_000n);
await measure(
  "consent revoke (operator)",
  consent.getFunction("revoke")(commitment),
  30_000n,
  "clears the slot: refund",
);

// Consent, patient-signed path relayed by a third party.
const { chainId } = await ethers.provider.getNetwork();
const domain: TypedDataDomain = consentDomain(chainId, deployed.consentRegistry.address);
const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n;
const relayed = consent.connect(relayer) as Contract;
const nonceOf = async (): Promise<bigint> => consent.getFunction("nonces")(patient.address);

/** Returns the key the grant is recorded under (the commitment bound to the patient's address). */
async function grantBySig(label: string, note?: string): Promise<string> {
  const c = rand32();
  const value = { commitment: c, expiresAt: NO_END, patient: patient!.address, nonce: await nonceOf(), deadline };
  const sig = await patient!.signTypedData(domain, GRANT_TYPES, value);
  await measure(label, relayed.getFunction("grantBySig")(c, NO_END, patient!.address, deadline, sig), undefined, note);
  return patientCommitment(c, patient!.address);
}

async function revokeBySig(label: string, c: string): Promise<void> {
  const value = { commitment: c, patient: patient!.address, nonce: await nonceOf(), deadline };
  const sig = await patient!.signTypedData(domain, REVOKE_TYPES, value);
  await measure(label, relayed.getFunction("revokeBySig")(c, patient!.address, deadline, sig));
}

const first = await grantBySig("consent grantBySig (relayed)", "patient's first nonce: fresh slot");
await revokeBySig("consent revokeBySig (relayed)", first);
await grantBySig("consent grantBySig (relayed, later)", "nonce slot already written");

// Organisations: a 32-byte X25519 key.
const orgId = ethers.id(`org:${rand32()}`);
await measure("org register (32-byte key)", orgs.getFunction("register")(orgId, rand32()));
await measure("org updateKey (32-byte key)", orgs.getFunction("updateKey")(orgId, rand32()));
await measure("org deactivate", orgs.getFunction("deactivate")(orgId));

// Table.
const header = ["operation", "gasUsed", "budget", ""];
const lines = rows.map((r) => [
  r.operation,
  r.gas.toLocaleString("en-US"),
  r.budget === undefined ? "-" : `<= ${r.budget.toLocaleString("en-US")} ${r.gas <= r.budget ? "ok" : "OVER"}`,
  r.note ?? "",
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const format = (cells: string[]) =>
  cells
    .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join("  ")
    .trimEnd();
console.log(`gas per operation (receipt gasUsed, chain id ${chainId}, solc 0.8.28, optimizer on)\n`);
console.log(format(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const l of lines) console.log(format(l));
if (rows.some((r) => r.budget !== undefined && r.gas > r.budget)) process.exitCode = 1;
