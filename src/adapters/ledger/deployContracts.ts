import { ContractFactory, FetchRequest, JsonRpcProvider, Network, Wallet, computeAddress, getAddress } from "ethers";
import type { Signer } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { loadArtifact } from "./artifacts.ts";
import type { ContractName } from "./artifacts.ts";
import { refuseDevAccountOffLoopback } from "./devAccounts.ts";
import { redactUrl } from "../../verify/redactUrl.ts";

/** Role holders; each defaults to the deployer's address. */
export interface DeployRoles {
  /** DEFAULT_ADMIN_ROLE on every contract. */
  admin?: string;
  /** ANCHORER_ROLE on RecordAnchor. */
  anchorer?: string;
  /** OPERATOR_ROLE on ConsentRegistry. */
  operator?: string;
  /** REGISTRAR_ROLE on OrganizationRegistry. */
  registrar?: string;
}

/** Either an endpoint and a key, or a ready signer (e.g. Hardhat's, or the server's own). */
export type DeployContractsParameters = DeployRoles & {
  /** Blocks to wait for after each deployment; 1 (inclusion) by default. */
  confirmations?: number;
} & ({ rpcUrl: string; privateKey: string; signer?: never } | { signer: Signer; rpcUrl?: never; privateKey?: never });

export interface DeployedContract {
  address: string;
  /** Block of the deployment transaction: where a rebuild starts scanning events. */
  blockNumber: number;
  transactionHash: string;
}

export interface DeployContractsReturnType {
  chainId: string;
  deployer: string;
  roles: Required<DeployRoles>;
  recordAnchor: DeployedContract;
  consentRegistry: DeployedContract;
  organizationRegistry: DeployedContract;
}

/**
 * Deploys the three contracts one after the other and returns their addresses and deployment blocks.
 * Over JSON-RPC to an endpoint that is not on this machine, a development account's key or a role
 * for a development account is refused before anything is sent (see devAccounts.ts).
 */
export async function deployContracts(parameters: DeployContractsParameters): Promise<DeployContractsReturnType> {
  const confirmations = parameters.confirmations ?? 1;
  if (!Number.isInteger(confirmations) || confirmations < 1) throw new Error("confirmations must be an integer >= 1");
  let provider: JsonRpcProvider | undefined;
  let signer: Signer;
  if (parameters.signer !== undefined) {
    signer = parameters.signer;
  } else {
    const { rpcUrl } = parameters;
    refuseDevAccountOffLoopback(rpcUrl, { privateKey: parameters.privateKey, role: "deploying" });
    for (const role of ["admin", "anchorer", "operator", "registrar"] as const) {
      const address = parameters[role];
      if (address !== undefined) refuseDevAccountOffLoopback(rpcUrl, { address, role: `${role} role` });
    }
    provider = await connect(rpcUrl);
    signer = new Wallet(parameters.privateKey, provider);
  }
  try {
    if (signer.provider === null) throw new Error("the signer has no provider");
    const deployer = await signer.getAddress();
    const roles: Required<DeployRoles> = {
      admin: getAddress(parameters.admin ?? deployer),
      anchorer: getAddress(parameters.anchorer ?? deployer),
      operator: getAddress(parameters.operator ?? deployer),
      registrar: getAddress(parameters.registrar ?? deployer),
    };
    const { chainId } = await signer.provider.getNetwork();
    const deploy = async (name: ContractName, args: unknown[]): Promise<DeployedContract> => {
      const { abi, bytecode } = loadArtifact(name);
      const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args);
      const tx = contract.deploymentTransaction();
      if (tx === null) throw new Error(`${name}: no deployment transaction`);
      const receipt = await tx.wait(confirmations);
      if (receipt === null || receipt.status !== 1 || receipt.contractAddress === null) {
        throw new Error(`${name}: deployment transaction ${tx.hash} failed`);
      }
      return { address: receipt.contractAddress, blockNumber: receipt.blockNumber, transactionHash: tx.hash };
    };
    // One at a time: each waits for its receipt, so nonces never race on any endpoint.
    const recordAnchor = await deploy("RecordAnchor", [roles.admin, roles.anchorer]);
    const consentRegistry = await deploy("ConsentRegistry", [roles.admin, roles.operator]);
    const organizationRegistry = await deploy("OrganizationRegistry", [roles.admin, roles.registrar]);
    return { chainId: chainId.toString(), deployer, roles, recordAnchor, consentRegistry, organizationRegistry };
  } finally {
    provider?.destroy();
  }
}

/**
 * Opens a provider on `rpcUrl` after one `eth_chainId` round trip with a timeout, so an unreachable
 * endpoint fails fast instead of ethers retrying network detection forever.
 */
async function connect(rpcUrl: string, timeoutMs = 10_000): Promise<JsonRpcProvider> {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  request.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
  let chainId: bigint;
  try {
    const response = await request.send();
    response.assertOk();
    const result = (response.bodyJson as { result?: unknown }).result;
    if (typeof result !== "string") throw new Error("eth_chainId returned no result");
    chainId = BigInt(result);
  } catch (cause) {
    throw new Error(`cannot reach the JSON-RPC endpoint ${redactUrl(rpcUrl)}`, { cause });
  }
  // cacheTimeout -1: ethers otherwise reuses a 250 ms old nonce on an instant-mining chain (anvil, Hardhat).
  return new JsonRpcProvider(new FetchRequest(rpcUrl), undefined, {
    staticNetwork: Network.from(chainId),
    cacheTimeout: -1,
  });
}

/** Parameters of {@link deployWithAdminKey}. */
export interface DeployWithAdminKeyParameters {
  rpcUrl: string;
  /** Deploys, and keeps the admin, operator and registrar roles. Never the server's key. */
  adminKey: string;
  /** The server's hot key: gets ANCHORER_ROLE on RecordAnchor and nothing else. */
  anchoringKey: string;
  confirmations?: number;
}

/**
 * Deploys the contracts a server anchors with: from a separate admin key, so that the server's
 * key, which sits in a running process, can anchor but never grant or revoke a role.
 * @throws FhirLedgerError "invalid" when the two keys are the same account.
 */
export async function deployWithAdminKey({
  rpcUrl,
  adminKey,
  anchoringKey,
  confirmations,
}: DeployWithAdminKeyParameters): Promise<DeployContractsReturnType> {
  const anchorer = computeAddress(anchoringKey);
  if (computeAddress(adminKey) === anchorer)
    throw new FhirLedgerError("invalid", "the admin key must not be the server's anchoring key");
  return deployContracts({ rpcUrl, privateKey: adminKey, anchorer, ...(confirmations ? { confirmations } : {}) });
}
