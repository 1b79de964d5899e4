import { Contract, JsonRpcProvider, NonceManager, Wallet, getBytes, hexlify, zeroPadValue } from "ethers";
import type { Log, TransactionReceipt } from "ethers";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { AnchorReceipt, AnchorRequest, Ledger } from "../../ports/Ledger.ts";
import { loadContractArtifact } from "./artifacts.ts";
import { deployContracts } from "./deployContracts.ts";
import { refuseDevAccountOffLoopback } from "./devAccounts.ts";

export interface EvmLedgerOptions {
  rpcUrl: string;
  privateKey: string;
  recordAnchorAddress: string;
  confirmations: number;
  /** Per-call timeout of RPC requests, so an unreachable chain surfaces as an error, not a hang. */
  timeoutMs?: number;
}

/** Ledger on any EVM JSON-RPC endpoint through the RecordAnchor contract. */
export class EvmLedger implements Ledger {
  readonly contractAddress: string;
  readonly #provider: JsonRpcProvider;
  readonly #contract: Contract;
  readonly #confirmations: number;
  readonly #timeoutMs: number;
  #chainId: bigint | null = null;

  /** @throws FhirLedgerError "invalid" for a development account's key on an endpoint off this machine. */
  constructor(options: EvmLedgerOptions) {
    refuseDevAccountOffLoopback(options.rpcUrl, { privateKey: options.privateKey, role: "anchoring" });
    this.#provider = new JsonRpcProvider(options.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 250,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    const signer = new NonceManager(new Wallet(options.privateKey, this.#provider));
    const { abi } = loadContractArtifact("RecordAnchor");
    this.#contract = new Contract(options.recordAnchorAddress, abi as never, signer);
    this.contractAddress = options.recordAnchorAddress;
    this.#confirmations = options.confirmations;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async chainId(): Promise<bigint> {
    this.#chainId ??= (await this.#withTimeout(this.#provider.getNetwork())).chainId;
    return this.#chainId;
  }

  async blockNumber(): Promise<number> {
    return this.#withTimeout(this.#provider.getBlockNumber());
  }

  async anchor(request: AnchorRequest): Promise<AnchorReceipt> {
    const anchorFn = this.#contract.getFunction("anchor");
    let receipt: TransactionReceipt | null;
    try {
      const tx = await this.#withTimeout(
        anchorFn(hexlify(request.root), request.size, hexlify(request.manifestDigest), hexlify(request.prevRoot)),
      );
      receipt = await this.#withTimeout(
        tx.wait(this.#confirmations) as Promise<TransactionReceipt | null>,
        this.#timeoutMs * 4,
      );
    } catch (cause) {
      // The nonce manager's count may be ahead of the chain after a failed send.
      (this.#contract.runner as NonceManager).reset();
      throw new FhirLedgerError("unavailable", "anchoring transaction failed", { cause });
    }
    if (receipt?.status !== 1) throw new FhirLedgerError("unavailable", "anchoring transaction reverted");
    return {
      chainId: await this.chainId(),
      contract: this.contractAddress,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
    };
  }

  async findAnchor(
    root: Uint8Array,
    hint: { blockNumber?: number } = {},
  ): Promise<(AnchorReceipt & AnchorRequest) | null> {
    const event = this.#contract.interface.getEvent("RootAnchored");
    if (!event) throw new FhirLedgerError("internal", "RecordAnchor ABI has no RootAnchored event");
    const filter = {
      address: this.contractAddress,
      topics: [event.topicHash, zeroPadValue(hexlify(root), 32)],
      fromBlock: hint.blockNumber ?? 0,
      toBlock: hint.blockNumber ?? "latest",
    };
    let logs: Log[] = await this.#withTimeout(this.#provider.getLogs(filter));
    if (logs.length === 0 && hint.blockNumber !== undefined) {
      logs = await this.#withTimeout(this.#provider.getLogs({ ...filter, fromBlock: 0, toBlock: "latest" }));
    }
    const log = logs.find((l) => !l.removed);
    return log ? this.#toAnchor(log, await this.chainId()) : null;
  }

  /** A RootAnchored log as an anchor; null for anything else. */
  #toAnchor(log: Log, chainId: bigint): (AnchorReceipt & AnchorRequest) | null {
    const parsed = this.#contract.interface.parseLog(log);
    if (parsed?.name !== "RootAnchored") return null;
    return {
      chainId,
      contract: this.contractAddress,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      root: getBytes(parsed.args.getValue("root") as string),
      prevRoot: getBytes(parsed.args.getValue("prevRoot") as string),
      size: Number(parsed.args.getValue("size")),
      manifestDigest: getBytes(parsed.args.getValue("manifestDigest") as string),
    };
  }

  async listAnchors(): Promise<(AnchorReceipt & AnchorRequest)[]> {
    const event = this.#contract.interface.getEvent("RootAnchored");
    if (!event) throw new FhirLedgerError("internal", "RecordAnchor ABI has no RootAnchored event");
    const latest = await this.blockNumber();
    const chainId = await this.chainId();
    const anchors: (AnchorReceipt & AnchorRequest)[] = [];
    // Chunked so that public endpoints with log-range limits answer too.
    const step = 50_000;
    for (let from = 0; from <= latest; from += step) {
      const logs = await this.#withTimeout(
        this.#provider.getLogs({
          address: this.contractAddress,
          topics: [event.topicHash],
          fromBlock: from,
          toBlock: Math.min(from + step - 1, latest),
        }),
      );
      for (const log of logs) {
        const anchor = log.removed ? null : this.#toAnchor(log, chainId);
        if (anchor) anchors.push(anchor);
      }
    }
    return anchors;
  }

  async close(): Promise<void> {
    this.#provider.destroy();
  }

  async #withTimeout<T>(promise: Promise<T>, ms = this.#timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FhirLedgerError("unavailable", `chain did not answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Deploys the project's contracts with the key's account in every role; returns RecordAnchor's address. */
export async function deployRecordAnchor(rpcUrl: string, privateKey: string): Promise<string> {
  return (await deployContracts({ rpcUrl, privateKey })).recordAnchor.address;
}

/** True when the address holds contract code on that chain (false after a dev-chain wipe). */
export async function hasCode(rpcUrl: string, address: string): Promise<boolean> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    return (await provider.getCode(address)) !== "0x";
  } finally {
    provider.destroy();
  }
}
