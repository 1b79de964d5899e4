import type { BatchRow } from "./AnchoringOutbox.ts";
import type { VersionRow } from "./VersionStore.ts";

/** One anchored batch as read back from chain + IPFS during a rebuild. */
export interface RestoreBatch {
  batch: Omit<BatchRow, "batchId" | "state" | "firstSeq" | "lastSeq" | "anchoredAt"> & {
    chainId: string;
    contract: string;
    txHash: string;
    blockNumber: number;
  };
  leaves: {
    leafHash: Uint8Array;
    version:
      | (Omit<VersionRow, "leafSeq"> & { resource?: Record<string, unknown>; compartments?: readonly string[] })
      | null;
  }[];
  paths: Uint8Array[][];
}

/** What a rebuild writes into: whole anchored batches, each in one transaction. */
export interface RebuildTarget {
  /** Writes one anchored batch, its leaves, their versions and search rows, in one transaction. */
  restoreBatch(input: RestoreBatch): Promise<void>;
}
