import { Contract, JsonRpcProvider, NonceManager, Wallet, isError } from "ethers";
import type { TransactionReceipt, TypedDataDomain } from "ethers";
import { loadContractArtifact } from "../../adapters/ledger/artifacts.ts";
import { refuseDevAccountOffLoopback } from "../../adapters/ledger/devAccounts.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { consentDomain } from "../consentTypedData.ts";

export interface ConsentRelayOptions {
  rpcUrl: string;
  registryAddress: string;
  /**
   * The key that pays for relayed grants and revocations. It needs no role on the registry
   * (grantBySig and revokeBySig check the patient's signature, not the sender), and must not
   * be the anchoring key, whose nonces the anchorer counts on its own.
   */
  privateKey: string;
  /** Per-call timeout; 30 s by default. */
  timeoutMs?: number;
}

/**
 * Sends patients' signed grants and revocations to ConsentRegistry (the server pays the gas;
 * the signature alone decides), one transaction at a time so the relayer's nonces never race.
 */
export class ConsentRelay {
  readonly registryAddress: string;
  readonly #provider: JsonRpcProvider;
  readonly #contract: Contract;
  readonly #signer: NonceManager;
  readonly #timeoutMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #domain: TypedDataDomain | undefined;

  /** @throws FhirLedgerError "invalid" for a development account's key on an endpoint off this machine. */
  constructor(options: ConsentRelayOptions) {
    refuseDevAccountOffLoopback(options.rpcUrl, { privateKey: options.privateKey, role: "consent relaying" });
    this.registryAddress = options.registryAddress;
    this.#provider = new JsonRpcProvider(options.rpcUrl, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
      pollingInterval: 250,
    });
    this.#signer = new NonceManager(new Wallet(options.privateKey, this.#provider));
    this.#contract = new Contract(options.registryAddress, loadContractArtifact("ConsentRegistry").abi, this.#signer);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The EIP-712 domain patients sign under. */
  async domain(): Promise<TypedDataDomain> {
    this.#domain ??= consentDomain((await this.#call(this.#provider.getNetwork())).chainId, this.registryAddress);
    return this.#domain;
  }

  /** The wallet's current registry nonce (the one its next signature must carry). */
  async nonce(wallet: string): Promise<bigint> {
    return (await this.#call(this.#contract.getFunction("nonces")(wallet))) as bigint;
  }

  /** The latest block's time, in seconds: signature deadlines and expiries are judged by it. */
  async chainTime(): Promise<bigint> {
    const block = await this.#call(this.#provider.getBlock("latest"));
    if (block === null) throw new FhirLedgerError("unavailable", "the chain returned no block");
    return BigInt(block.timestamp);
  }

  /** Relays grantBySig; resolves to the transaction hash once mined. */
  grantBySig(
    commitment: string,
    expiresAt: bigint,
    patient: string,
    deadline: bigint,
    signature: string,
  ): Promise<string> {
    return this.#send("grantBySig", [commitment, expiresAt, patient, deadline, signature]);
  }

  /** Relays revokeBySig of `key` (the patient-bound key the grant is recorded under). */
  revokeBySig(key: string, patient: string, deadline: bigint, signature: string): Promise<string> {
    return this.#send("revokeBySig", [key, patient, deadline, signature]);
  }

  close(): void {
    this.#provider.destroy();
  }

  #send(name: string, args: unknown[]): Promise<string> {
    const run = async (): Promise<string> => {
      let receipt: TransactionReceipt | null;
      try {
        const fn = this.#contract.getFunction(name);
        // estimateGas first: a refusal (bad signature, expired deadline, used nonce) comes back as the registry's error.
        await this.#call(fn.estimateGas(...args));
        const tx = await this.#call(fn(...args));
        receipt = (await this.#call(tx.wait(1), this.#timeoutMs * 4)) as TransactionReceipt | null;
      } catch (cause) {
        this.#signer.reset();
        throw this.#refusal(cause);
      }
      if (receipt?.status !== 1) throw new FhirLedgerError("unavailable", `${name} was not mined`);
      return receipt.hash;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** The registry's custom error as a 4xx the patient can act on; anything else is the chain being unavailable. */
  #refusal(cause: unknown): FhirLedgerError {
    if (cause instanceof FhirLedgerError) return cause;
    if (isError(cause, "CALL_EXCEPTION")) {
      const name =
        cause.revert?.name ?? (cause.data ? this.#contract.interface.parseError(cause.data)?.name : undefined);
      const message: Record<string, string> = {
        ConsentRegistryInvalidSigner: "the signature is not the wallet's",
        ConsentRegistryExpiredSignature: "the signature's deadline has passed: sign again",
        ConsentRegistryAlreadyGranted: "this consent is already granted on chain",
        ConsentRegistryUnknownCommitment: "this consent is not granted on chain",
        ConsentRegistryUnauthorizedController: "this consent is not controlled by that wallet",
        ConsentRegistryInvalidExpiry: "the expiry must be in the future",
        ConsentRegistryZeroCommitment: "the commitment is empty",
      };
      if (name !== undefined && message[name] !== undefined)
        return new FhirLedgerError(name === "ConsentRegistryAlreadyGranted" ? "conflict" : "invalid", message[name], {
          cause,
        });
    }
    return new FhirLedgerError("unavailable", "the consent registry could not be reached", { cause });
  }

  #call<T>(promise: Promise<T>, ms = this.#timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FhirLedgerError("unavailable", "the chain did not answer in time")), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
