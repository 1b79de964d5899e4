import { JsonRpcProvider } from "ethers";
import { CID } from "multiformats/cid";

/** What must never reach the chain: identifiers, names and CIDs (text and binary forms). */
export interface PrivacyNeedles {
  strings: string[];
  cids: string[];
}

/**
 * Decodes every transaction's calldata and every event log of a chain and fails if any holds
 * one of the needles (UTF-8 hex of strings, CID strings, CID digests). Runs when each test
 * server closes, so it covers every chain the test suite starts.
 */
export async function assertChainPrivacy(
  rpcUrl: string,
  needles: PrivacyNeedles,
): Promise<{ transactions: number; logs: number }> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const hex = new Set<string>();
    for (const s of needles.strings) if (s.length >= 4) hex.add(Buffer.from(s, "utf8").toString("hex"));
    for (const c of needles.cids) {
      hex.add(Buffer.from(c, "utf8").toString("hex"));
      try {
        hex.add(Buffer.from(CID.parse(c).multihash.digest).toString("hex"));
      } catch {
        // not a CID (the delete marker): its text form is enough
      }
    }
    const latest = await provider.getBlockNumber();
    let transactions = 0;
    for (let n = 0; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        transactions += 1;
        // Contract creations carry the contracts' own bytecode and constants (EIP-712 names
        // such as "ConsentRegistry"), never request data: their logs are still checked below.
        if (tx.to === null) continue;
        const data = tx.data.toLowerCase();
        for (const h of hex)
          if (data.includes(h))
            throw new Error(`transaction ${tx.hash} calldata holds a forbidden value (${h.slice(0, 16)}…)`);
      }
    }
    const logs = await provider.getLogs({ fromBlock: 0, toBlock: latest });
    for (const log of logs) {
      const raw = (log.data + log.topics.join("")).toLowerCase();
      for (const h of hex)
        if (raw.includes(h))
          throw new Error(`event in ${log.transactionHash} holds a forbidden value (${h.slice(0, 16)}…)`);
    }
    return { transactions, logs: logs.length };
  } finally {
    provider.destroy();
  }
}
