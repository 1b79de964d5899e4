import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

export interface ContractArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
}

const cache = new Map<string, ContractArtifact>();

/** ABI and bytecode from Hardhat's build output (`npm run build:contracts`): never pasted by hand. */
export function loadContractArtifact(name: string): ContractArtifact {
  const hit = cache.get(name);
  if (hit) return hit;
  const url = new URL(`../../../artifacts/contracts/${name}.sol/${name}.json`, import.meta.url);
  let artifact: ContractArtifact;
  try {
    artifact = JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as ContractArtifact;
  } catch (cause) {
    throw new FhirLedgerError("unavailable", `contract artifact ${name} is missing: run "npm run build:contracts"`, { cause });
  }
  cache.set(name, artifact);
  return artifact;
}
