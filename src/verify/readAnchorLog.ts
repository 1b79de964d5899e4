import type { Log } from "ethers";
import type { AnchorEvent } from "./anchorChain.ts";

export interface ReadAnchorLogParameters {
  /** eth_getLogs for the contract's RootAnchored topic over [fromBlock, toBlock], both included. */
  getLogs(fromBlock: number, toBlock: number): Promise<readonly Log[]>;
  /** Root and previous root of one RootAnchored log, as 64 lower-case hex characters. */
  decode(log: Log): { root: string; prevRoot: string };
  /** The chain head: the last block read. */
  head: number;
}

/** Blocks per eth_getLogs call to start with; halved on an error down to MIN_SPAN. */
const SPAN = 50_000;
const MIN_SPAN = 500;

/**
 * Every RootAnchored event of a contract from block 0 to `head`: the whole log since the
 * contract's deployment (none can come before it). Read in block ranges, halved whenever the
 * endpoint refuses one (public endpoints cap ranges and result sizes). Throws the endpoint's
 * error when even the smallest range fails: the log is then unknown, never taken as empty.
 */
export async function readAnchorLog({ getLogs, decode, head }: ReadAnchorLogParameters): Promise<AnchorEvent[]> {
  const events: AnchorEvent[] = [];
  let span = SPAN;
  for (let from = 0; from <= head; ) {
    const to = Math.min(from + span - 1, head);
    let logs: readonly Log[];
    try {
      logs = await getLogs(from, to);
    } catch (error) {
      if (span <= MIN_SPAN) throw error;
      span = Math.max(MIN_SPAN, Math.floor(span / 2));
      continue;
    }
    for (const log of logs) {
      if (log.removed) continue;
      events.push({ ...decode(log), blockNumber: log.blockNumber, logIndex: log.index });
    }
    from = to + 1;
  }
  return events;
}
