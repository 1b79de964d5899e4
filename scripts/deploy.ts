/**
 * Deploys fhirledger's contracts (RecordAnchor, ConsentRegistry, OrganizationRegistry) to any JSON-RPC
 * endpoint with plain ethers v6, from the ABI and bytecode in Hardhat's build output.
 *
 *   node scripts/deploy.ts --rpc http://127.0.0.1:8545 --key 0x... --anchorer 0x... [--admin 0x...]
 *                          [--operator 0x...] [--registrar 0x...] [--confirmations 1]
 *
 * `--key-file PATH` reads the key from a file instead, so it stays out of the process list and shell
 * history. Prints the deployment as JSON on stdout.
 *
 * The key deploys and, unless `--admin` names another account, keeps the admin role (and the operator
 * and registrar roles unless given). `--anchorer` is the server's address (FHIRLEDGER_CHAIN_PRIVATE_KEY's
 * account): it gets the anchorer role only, and may hold no other role, so the key a running server holds
 * can anchor but never grant one. A development account's key or address (anvil/Hardhat) is refused
 * unless the endpoint is on this machine.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { computeAddress, getAddress, isAddress } from "ethers";
import { deployContracts } from "../src/adapters/ledger/deployContracts.ts";

export { loadArtifact } from "../src/adapters/ledger/artifacts.ts";
export type { ContractArtifact, ContractName } from "../src/adapters/ledger/artifacts.ts";
export { deployContracts } from "../src/adapters/ledger/deployContracts.ts";
export type {
  DeployContractsParameters,
  DeployContractsReturnType,
  DeployRoles,
  DeployedContract,
} from "../src/adapters/ledger/deployContracts.ts";

const USAGE =
  "usage: node scripts/deploy.ts --rpc URL (--key 0x... | --key-file PATH) --anchorer ADDR [--admin ADDR] " +
  "[--operator ADDR] [--registrar ADDR] [--confirmations N]";

/** The command-line entry point: parses `argv`, deploys, prints JSON. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: "string" },
      key: { type: "string" },
      "key-file": { type: "string" },
      admin: { type: "string" },
      anchorer: { type: "string" },
      operator: { type: "string" },
      registrar: { type: "string" },
      confirmations: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const privateKey = values.key ?? (values["key-file"] ? readFileSync(values["key-file"], "utf8").trim() : undefined);
  if (!values.rpc || !privateKey || !values.anchorer) throw new Error(USAGE);
  for (const role of ["admin", "anchorer", "operator", "registrar"] as const) {
    const address = values[role];
    if (address !== undefined && !isAddress(address)) throw new Error(`--${role} is not an address`);
  }
  // The server's key anchors and does nothing else: the anchorer may hold no other role.
  const deployer = computeAddress(privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`);
  const anchorer = getAddress(values.anchorer);
  for (const role of ["admin", "operator", "registrar"] as const) {
    if (getAddress(values[role] ?? deployer) === anchorer)
      throw new Error(
        `the anchorer ${anchorer} must hold no other role, but would also be the ${role}: give the server's address the anchorer role only`,
      );
  }
  const result = await deployContracts({
    rpcUrl: values.rpc,
    privateKey,
    admin: values.admin,
    anchorer: values.anchorer,
    operator: values.operator,
    registrar: values.registrar,
    confirmations: values.confirmations === undefined ? undefined : Number(values.confirmations),
  });
  console.log(JSON.stringify(result, null, 2));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    // Short messages only: ethers' full message embeds the whole signed transaction.
    const brief = (e: unknown): string =>
      e instanceof Error ? ((e as { shortMessage?: string }).shortMessage ?? e.message).slice(0, 300) : String(e);
    const cause = error instanceof Error && error.cause !== undefined ? ` (${brief(error.cause)})` : "";
    console.error(`deploy failed: ${brief(error)}${cause}`);
    process.exitCode = 1;
  });
}
