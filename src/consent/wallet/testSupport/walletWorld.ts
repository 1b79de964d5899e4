import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider, Wallet } from "ethers";
import type { HDNodeWallet, TypedDataField } from "ethers";
import { loadContractArtifact } from "../../../adapters/ledger/artifacts.ts";
import { deployContracts } from "../../../adapters/ledger/deployContracts.ts";
import { ANVIL_DEV_ADMIN_PRIVATE_KEY, EmbeddedChain } from "../../../adapters/ledger/EmbeddedChain.ts";
import { ChainConsentFollower } from "../ChainConsentFollower.ts";
import { chainWalletConsentCheck } from "../chainWalletConsentCheck.ts";
import { ConsentRelay } from "../ConsentRelay.ts";
import { LinkChallenges } from "../LinkChallenges.ts";
import type { WalletConsentCheck } from "../WalletConsentCheck.ts";
import { type TypedDataRequest, type WalletEvent, WalletConsents } from "../WalletConsents.ts";
import { type WalletLinks, openWalletLinks } from "../WalletLinks.ts";
import { MemoryConsentRecords } from "./memoryConsentRecords.ts";

/** Anvil's development account #3: the relayer in tests (public key material, local chain only). */
export const RELAYER_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
/** Anvil's development account #4: a stranger who relays a patient's signature directly. */
export const STRANGER_KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

/** Everything the wallet flows need, on a real anvil with ConsentRegistry deployed. */
export interface WalletWorld {
  chain: EmbeddedChain;
  rpcUrl: string;
  registryAddress: string;
  deployBlock: number;
  /** The operator's (admin's) view of the registry: it holds OPERATOR_ROLE. */
  operatorRegistry: Contract;
  follower: ChainConsentFollower;
  relay: ConsentRelay;
  links: WalletLinks;
  records: MemoryConsentRecords;
  check: WalletConsentCheck;
  service: WalletConsents;
  events: WalletEvent[];
  close(): Promise<void>;
}

export async function startWalletWorld(): Promise<WalletWorld> {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-wallet-"));
  const chain = await EmbeddedChain.start({ stateDir: dir, port: 0 });
  const deployed = await deployContracts({ rpcUrl: chain.rpcUrl, privateKey: ANVIL_DEV_ADMIN_PRIVATE_KEY });
  const registryAddress = deployed.consentRegistry.address;
  const follower = new ChainConsentFollower({
    rpcUrl: chain.rpcUrl,
    registryAddress,
    fromBlock: deployed.consentRegistry.blockNumber,
    pollMs: 250,
  });
  await follower.start();
  const relay = new ConsentRelay({ rpcUrl: chain.rpcUrl, registryAddress, privateKey: RELAYER_KEY });
  const links = openWalletLinks(":memory:");
  const records = new MemoryConsentRecords();
  const check = chainWalletConsentCheck({ links, chain: follower });
  const events: WalletEvent[] = [];
  const service = new WalletConsents({
    links,
    challenges: new LinkChallenges(),
    records,
    relay,
    chain: follower,
    check,
    onEvent: (e) => {
      events.push(e);
    },
  });
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const operatorRegistry = new Contract(
    registryAddress,
    loadContractArtifact("ConsentRegistry").abi,
    new Wallet(ANVIL_DEV_ADMIN_PRIVATE_KEY, provider),
  );
  return {
    chain,
    rpcUrl: chain.rpcUrl,
    registryAddress,
    deployBlock: deployed.consentRegistry.blockNumber,
    operatorRegistry,
    follower,
    relay,
    links,
    records,
    check,
    service,
    events,
    async close() {
      await follower.close();
      relay.close();
      links.close();
      provider.destroy();
      await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Signs an eth_signTypedData_v4 request as a wallet would (EIP712Domain is implied by the domain). */
export function signTypedRequest(wallet: Wallet | HDNodeWallet, request: TypedDataRequest): Promise<string> {
  const { EIP712Domain: _domain, ...types } = request.types as Record<string, TypedDataField[]>;
  return wallet.signTypedData(request.domain, types, request.message);
}
