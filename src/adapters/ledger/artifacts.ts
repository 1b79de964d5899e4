import { readFileSync } from "node:fs";
import type { InterfaceAbi } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/** The ABI and creation bytecode of one contract, as Hardhat writes them. */
export interface ContractArtifact {
  contractName: string;
  sourceName: string;
  abi: InterfaceAbi;
  bytecode: string;
}

/** Names of the contracts this project deploys. */
export type ContractName = "RecordAnchor" | "ConsentRegistry" | "OrganizationRegistry";

/** Where `npx hardhat build` writes artifacts, relative to this file. */
const ARTIFACTS = new URL("../../../artifacts/contracts/", import.meta.url);
const cache = new Map<string, ContractArtifact>();

/**
 * Reads `artifacts/contracts/<name>.sol/<name>.json`, written by `npx hardhat build`.
 * @throws if the artifact is missing or has no bytecode.
 */
export function loadArtifact(name: string, artifactsDir: URL = ARTIFACTS): ContractArtifact {
  const key = `${artifactsDir.href}|${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid contract name: ${JSON.stringify(name)}`);
  const url = new URL(`${name}.sol/${name}.json`, artifactsDir);
  let artifact: ContractArtifact;
  try {
    artifact = JSON.parse(readFileSync(url, "utf8")) as ContractArtifact;
  } catch (cause) {
    throw new FhirLedgerError(
      "unavailable",
      `contract artifact ${name} is missing or unreadable: run "npm run build:contracts"`,
      { cause },
    );
  }
  if (typeof artifact.bytecode !== "string" || !/^0x[0-9a-fA-F]+$/.test(artifact.bytecode)) {
    throw new Error(`contract artifact ${name} has no bytecode (is it an interface?)`);
  }
  cache.set(key, artifact);
  return artifact;
}

/** The artifact of one of this project's contracts (ABI for adapters, bytecode for deployment). */
export const loadContractArtifact = (name: ContractName): ContractArtifact => loadArtifact(name);
