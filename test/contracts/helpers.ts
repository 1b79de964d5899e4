import { expect } from "vitest";
import { keccak256, toUtf8Bytes } from "ethers";
import type { BaseContract, ContractRunner, ContractTransactionResponse, Interface, Log } from "ethers";

/**
 * A deployed contract whose ABI methods are callable without narrowing each one (there are no generated
 * TypeChain types here): ethers' `Contract` types them as possibly undefined under noUncheckedIndexedAccess.
 */
export interface Deployed extends BaseContract {
  connect(runner: ContractRunner | null): Deployed;
  // biome-ignore lint/suspicious/noExplicitAny: ABI methods are only known at run time.
  [method: string]: any;
}

/** Deploys `name` with hardhat-ethers' `deployContract` and returns it as a {@link Deployed}. */
export async function deploy(
  ethers: { deployContract(name: string, args?: unknown[]): Promise<BaseContract> },
  name: string,
  args: unknown[],
): Promise<Deployed> {
  return (await ethers.deployContract(name, args)) as unknown as Deployed;
}

/** Anything with an ABI: a deployed contract or a bare interface. */
type HasInterface = Pick<BaseContract, "interface"> | { interface: Interface };

/**
 * Asserts that `action` reverts with the custom error `name` of `contract`'s ABI (OpenZeppelin's
 * AccessControl errors included, since they are in every derived ABI) and, when given, exactly `args`.
 */
export async function expectRevert(
  action: Promise<unknown>,
  contract: HasInterface,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let data: string | undefined;
  try {
    const result = await action;
    // A sent transaction reverts on inclusion; wait for it so the failure surfaces here.
    if (result && typeof (result as ContractTransactionResponse).wait === "function") {
      await (result as ContractTransactionResponse).wait();
    }
  } catch (error) {
    data = revertData(error);
    if (data === undefined) throw error;
  }
  if (data === undefined) expect.fail(`expected revert with ${name}, but the call succeeded`);
  const parsed = contract.interface.parseError(data);
  expect(parsed?.name, `revert data ${data}`).toBe(name);
  if (args !== undefined) expect(normalize(parsed!.args.toArray())).toEqual(normalize(args));
}

/** Sends a transaction and returns its receipt's gasUsed (intrinsic 21,000 included). */
export async function gasUsed(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction has no receipt");
  return receipt.gasUsed;
}

/** Sends a transaction and returns the decoded events of `contract` in its receipt, in order. */
export async function eventsOf(
  contract: HasInterface,
  tx: Promise<ContractTransactionResponse>,
): Promise<{ name: string; args: unknown[]; log: Log }[]> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction has no receipt");
  return receipt.logs.map((log) => {
    const parsed = contract.interface.parseLog(log);
    if (parsed === null) throw new Error(`unknown event with topic ${log.topics[0]}`);
    return { name: parsed.name, args: normalize(parsed.args.toArray()) as unknown[], log };
  });
}

/** Finds the ABI-encoded revert data in an error thrown by hardhat-ethers or plain ethers. */
function revertData(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x")) return data;
    if (data !== null && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      return (data as { data: string }).data;
    }
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Lower-cases hex strings (addresses are checksummed in some places and not others) so values compare. */
function normalize(values: readonly unknown[]): unknown[] {
  return values.map((v) => (typeof v === "string" ? v.toLowerCase() : Array.isArray(v) ? normalize(v) : v));
}

/** Hardhat's in-process chain: advance time to `timestamp` for the next block. */
export async function setNextBlockTimestamp(
  provider: { send(method: string, params: unknown[]): Promise<unknown> },
  timestamp: bigint | number,
): Promise<void> {
  await provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
}

/** Returns the timestamp of the latest block. */
export async function latestTimestamp(provider: {
  getBlock(tag: "latest"): Promise<{ timestamp: number } | null>;
}): Promise<bigint> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

/** ERC-165 interface id: the XOR of the selectors of `functions` (e.g. "anchor(bytes32,uint64,bytes32,bytes32)"). */
export function interfaceId(functions: readonly string[]): string {
  let id = 0;
  for (const f of functions) id ^= Number.parseInt(id4(f), 16);
  return `0x${(id >>> 0).toString(16).padStart(8, "0")}`;
}

function id4(signature: string): string {
  return keccak256(toUtf8Bytes(signature)).slice(2, 10);
}

/** Interface ids every contract here also supports. */
export const IERC165_ID = "0x01ffc9a7";
export const IACCESS_CONTROL_ID = "0x7965db0b";
