import { FetchRequest, Interface, JsonRpcProvider, Network, getAddress, isAddress } from "ethers";
import type { Log } from "ethers";
import { loadContractArtifact } from "../adapters/ledger/artifacts.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { placeRoot } from "./anchorChain.ts";
import { devChainReasons } from "./devChain.ts";
import { normalizeHash32 } from "./hash32.ts";
import type { ParsedProof } from "./parseProof.ts";
import { readAnchorLog } from "./readAnchorLog.ts";
import { redactUrl } from "./redactUrl.ts";
import { timedGetUrl } from "./timedGetUrl.ts";
import { fail, pass, shortHash, unchecked } from "./VerificationCheck.ts";
import type { CheckName, VerificationCheck } from "./VerificationCheck.ts";

export interface VerifyAnchorOnChainParameters {
  proof: ParsedProof;
  /** Any JSON-RPC endpoint of the chain; the verifier's own choice, not the server's. */
  rpcUrl: string;
  /** The RecordAnchor address the verifier trusts. */
  contract: string;
  /** Per RPC call; default 15 s. */
  timeoutMs?: number;
}

/** The anchoring event as the chain reports it. */
export interface AnchorOnChain {
  chainId: string;
  contract: string;
  root: string;
  prevRoot: string;
  size: number;
  manifestDigest: string;
  transactionHash: string;
  blockNumber: number;
  /** Blocks from the anchoring block to the chain head, inclusive. */
  confirmations: number | null;
}

export interface ChainVerification {
  /** contractAddress, chainId, contractCode, anchorEvent, anchorChain, transactionReceipt, in that order. */
  checks: VerificationCheck[];
  anchor: AnchorOnChain | null;
  /** Why the chain is a development chain (see devChainReasons); empty when nothing says so. */
  devChain: string[];
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * The checks that ask the chain (d): the proof names the contract being trusted, the node
 * serves the proof's chain id, that contract has code, it emitted RootAnchored for the proof's
 * root with the proof's batch size (looked up at the proof's block first, then over the whole
 * chain), that root is on the single prevRoot-linked chain of every RootAnchored event the
 * contract emitted (no fork, duplicate or dangling link: see placeRoot), and the proof's
 * transaction receipt holds that event.
 *
 * RPC failures make checks `unchecked`, never `pass`. Throws FhirLedgerError "invalid" when
 * `contract` is not an address.
 */
export async function verifyAnchorOnChain({
  proof,
  rpcUrl,
  contract: trusted,
  timeoutMs = DEFAULT_TIMEOUT_MS,
}: VerifyAnchorOnChainParameters): Promise<ChainVerification> {
  if (!isAddress(trusted))
    throw new FhirLedgerError("invalid", "the contract is not an EVM address (0x followed by 40 hex digits)");
  const contract = getAddress(trusted);
  const rootAnchored = rootAnchoredEvent();
  const root = normalizeHash32(proof.root);
  const claimedChainId = parseChainId(proof.chainId);
  const checks: VerificationCheck[] = [checkContractAddress(proof, contract)];
  let anchor: AnchorOnChain | null = null;

  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  request.getUrlFunc = timedGetUrl(timeoutMs);
  // A static network skips ethers' start-up detection, which retries forever against a dead URL;
  // the real chain id is asked for explicitly below.
  const provider = new JsonRpcProvider(request, Network.from(claimedChainId ?? 1n), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 1,
  });
  // The transport aborts each request at timeoutMs; this only guards against a stuck provider.
  const call = <T>(promise: Promise<T>) => withTimeout(promise, timeoutMs + 1_000);
  const unreachable = (error: unknown) => `the chain did not answer (${describeRpcError(error, rpcUrl)})`;
  const rpcFailed = (error: unknown) => `the RPC call failed (${describeRpcError(error, rpcUrl)})`;
  try {
    // chain id: also the reachability probe; a dead endpoint leaves the rest unchecked.
    let chainId: bigint;
    try {
      chainId = BigInt((await call(provider.send("eth_chainId", []))) as string);
    } catch (error) {
      const reason = unreachable(error);
      for (const name of ["chainId", "contractCode", "anchorEvent", "anchorChain", "transactionReceipt"] as const)
        checks.push(unchecked(name, reason));
      return { checks, anchor, devChain: devChainReasons({ chainId: claimedChainId, anchoredBy: null }) };
    }
    if (claimedChainId === null)
      checks.push(
        fail("chainId", proof.chainId === null ? "the proof has no chainId" : "the proof's chainId is not a number"),
      );
    else if (claimedChainId !== chainId)
      checks.push(
        fail("chainId", `the RPC endpoint serves chain ${chainId}, the proof is for chain ${claimedChainId}`),
      );
    else checks.push(pass("chainId", `the RPC endpoint serves chain ${chainId}, as in the proof`));

    // The remaining lookups are independent: one round trip of latency instead of four.
    const headP = call(provider.getBlockNumber()).catch(() => null);
    const codeP = attempt("contractCode", rpcFailed, async () => {
      const code = await call(provider.getCode(contract));
      return code === "0x"
        ? fail("contractCode", `there is no contract at ${contract} on chain ${chainId}`)
        : pass("contractCode", `${contract} holds ${(code.length - 2) / 2} bytes of contract code`);
    });

    const eventP = attempt("anchorEvent", rpcFailed, async () => {
      if (root === null)
        return fail(
          "anchorEvent",
          proof.root === null ? "the proof has no root to look for" : "the proof's root is not a 32-byte hex hash",
        );
      const filter = { address: contract, topics: [rootAnchored.topicHash, `0x${root}`] };
      let logs: Log[] = [];
      if (proof.blockNumber !== null)
        logs = await call(provider.getLogs({ ...filter, fromBlock: proof.blockNumber, toBlock: proof.blockNumber }));
      if (logs.length === 0) logs = await call(provider.getLogs({ ...filter, fromBlock: 0, toBlock: "latest" }));
      logs = logs.filter((l) => !l.removed);
      const head = await headP;
      const log = logs.find((l) => l.transactionHash.toLowerCase() === proof.transactionHash?.toLowerCase()) ?? logs[0];
      if (!log) return fail("anchorEvent", `${contract} never anchored root ${shortHash(root)} on chain ${chainId}`);
      const event = decodeRootAnchored(rootAnchored.iface, log);
      anchor = {
        ...event,
        chainId: chainId.toString(),
        contract,
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
        confirmations: head === null ? null : head - log.blockNumber + 1,
      };
      if (proof.treeSize === null || event.size !== proof.treeSize)
        return fail(
          "anchorEvent",
          `root ${shortHash(root)} was anchored with batch size ${event.size}, the proof says ${proof.treeSize ?? "nothing"}`,
        );
      const digest = normalizeHash32(proof.manifestDigest);
      if (digest !== null && digest !== event.manifestDigest)
        return fail(
          "anchorEvent",
          `root ${shortHash(root)} was anchored with another manifest digest than the proof's`,
        );
      const prevRoot = normalizeHash32(proof.prevRoot);
      if (prevRoot !== null && prevRoot !== event.prevRoot)
        return fail("anchorEvent", `root ${shortHash(root)} was anchored after another previous root than the proof's`);
      return pass(
        "anchorEvent",
        `${contract} anchored root ${shortHash(root)} (batch of ${event.size}) in block ${log.blockNumber}`,
      );
    });

    // The whole log, from block 0 (so from the contract's deployment) to the head.
    const linkP = attempt("anchorChain", rpcFailed, async () => {
      if (root === null)
        return fail(
          "anchorChain",
          proof.root === null ? "the proof has no root to look for" : "the proof's root is not a 32-byte hex hash",
        );
      const head = await headP;
      if (head === null) throw new Error("the chain head is unknown");
      const events = await readAnchorLog({
        head,
        getLogs: (fromBlock, toBlock) =>
          call(provider.getLogs({ address: contract, topics: [rootAnchored.topicHash], fromBlock, toBlock })),
        decode: (log) => decodeRootAnchored(rootAnchored.iface, log),
      });
      const placed = placeRoot(events, root);
      return placed.linked
        ? pass(
            "anchorChain",
            `root ${shortHash(root)} is batch ${placed.position} of the single prevRoot-linked chain of ${placed.length} that ${contract} anchored`,
          )
        : fail(
            "anchorChain",
            `${placed.reason}, so root ${shortHash(root)} is outside the single prevRoot-linked chain of ${contract}`,
          );
    });

    const txHash = normalizeHash32(proof.transactionHash);
    const senderP =
      txHash === null
        ? Promise.resolve(null)
        : call(provider.getTransaction(`0x${txHash}`)).then(
            (tx) => tx?.from ?? null,
            () => null,
          );

    const receiptP = attempt("transactionReceipt", rpcFailed, async () => {
      if (txHash === null)
        return fail(
          "transactionReceipt",
          proof.transactionHash === null
            ? "the proof has no transactionHash"
            : "the proof's transactionHash is not a 32-byte hex hash",
        );
      const receipt = await call(provider.getTransactionReceipt(`0x${txHash}`));
      if (!receipt) return fail("transactionReceipt", `transaction ${shortHash(txHash)} is not on chain ${chainId}`);
      if (receipt.status !== 1) return fail("transactionReceipt", `transaction ${shortHash(txHash)} reverted`);
      const log = receipt.logs.find(
        (l) =>
          l.address.toLowerCase() === contract.toLowerCase() &&
          l.topics[0] === rootAnchored.topicHash &&
          l.topics[1]?.toLowerCase() === `0x${root}`,
      );
      if (root === null || !log)
        return fail(
          "transactionReceipt",
          `transaction ${shortHash(txHash)} holds no RootAnchored event of ${contract} for the proof's root`,
        );
      const size = decodeRootAnchored(rootAnchored.iface, log).size;
      if (size !== proof.treeSize)
        return fail(
          "transactionReceipt",
          `transaction ${shortHash(txHash)} anchored the root with batch size ${size}, the proof says ${proof.treeSize ?? "nothing"}`,
        );
      const head = await headP;
      const depth = head === null ? "" : `, ${head - receipt.blockNumber + 1} confirmation(s)`;
      const moved =
        proof.blockNumber !== null && proof.blockNumber !== receipt.blockNumber
          ? ` (the proof says block ${proof.blockNumber})`
          : "";
      return pass(
        "transactionReceipt",
        `transaction ${shortHash(txHash)} succeeded in block ${receipt.blockNumber}${moved} and emitted the event${depth}`,
      );
    });
    checks.push(...(await Promise.all([codeP, eventP, linkP, receiptP])));
    return { checks, anchor, devChain: devChainReasons({ chainId, anchoredBy: await senderP }) };
  } finally {
    provider.destroy();
  }
}

function checkContractAddress(proof: ParsedProof, contract: string): VerificationCheck {
  if (proof.contract === null) return fail("contractAddress", "the proof names no contract");
  if (!isAddress(proof.contract)) return fail("contractAddress", "the proof's contract is not an EVM address");
  if (getAddress(proof.contract) !== contract)
    return fail(
      "contractAddress",
      `the proof names contract ${getAddress(proof.contract)}, not the trusted ${contract}`,
    );
  return pass("contractAddress", `the proof names the trusted contract ${contract}`);
}

let cachedEvent: { iface: Interface; topicHash: string } | null = null;

/** RootAnchored from the compiled RecordAnchor ABI (Hardhat artifacts), never pasted by hand. */
function rootAnchoredEvent(): { iface: Interface; topicHash: string } {
  if (cachedEvent) return cachedEvent;
  const iface = new Interface(loadContractArtifact("RecordAnchor").abi as never);
  const event = iface.getEvent("RootAnchored");
  if (!event) throw new FhirLedgerError("internal", "RecordAnchor ABI has no RootAnchored event");
  cachedEvent = { iface, topicHash: event.topicHash };
  return cachedEvent;
}

function decodeRootAnchored(
  iface: Interface,
  log: { topics: readonly string[]; data: string },
): { root: string; prevRoot: string; size: number; manifestDigest: string } {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed?.name !== "RootAnchored") throw new FhirLedgerError("invalid", "log is not a RootAnchored event");
  const hex = (name: string) => (parsed.args.getValue(name) as string).slice(2).toLowerCase();
  return {
    root: hex("root"),
    prevRoot: hex("prevRoot"),
    size: Number(parsed.args.getValue("size")),
    manifestDigest: hex("manifestDigest"),
  };
}

function parseChainId(value: string | null): bigint | null {
  if (value === null || !/^(?:[0-9]{1,20}|0x[0-9a-fA-F]{1,16})$/.test(value)) return null;
  return BigInt(value);
}

async function attempt(
  name: CheckName,
  describe: (error: unknown) => string,
  run: () => Promise<VerificationCheck>,
): Promise<VerificationCheck> {
  try {
    return await run();
  } catch (error) {
    return unchecked(name, describe(error));
  }
}

/** A short, credential-free description of an RPC failure. */
function describeRpcError(error: unknown, rpcUrl: string): string {
  const e = error as { code?: unknown; shortMessage?: unknown; message?: unknown };
  let text =
    typeof e.shortMessage === "string" ? e.shortMessage : typeof e.message === "string" ? e.message : "unknown error";
  text = text.split(rpcUrl).join(redactUrl(rpcUrl)).split("\n")[0]!.slice(0, 160);
  return `${redactUrl(rpcUrl)}: ${typeof e.code === "string" ? `${e.code}, ` : ""}${text}`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FhirLedgerError("unavailable", `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
