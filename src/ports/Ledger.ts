/** Where a Merkle root was anchored on chain. */
export interface AnchorReceipt {
  chainId: bigint;
  contract: string;
  txHash: string;
  blockNumber: number;
}

export interface AnchorRequest {
  root: Uint8Array; // 32 bytes
  size: number; // leaves in the batch
  manifestDigest: Uint8Array; // 32 bytes: SHA-256 of the encrypted manifest
  prevRoot: Uint8Array; // 32 bytes: root of the previous batch (zero for the first)
}

/** The chain as the records pipeline sees it: anchor roots, find them again. */
export interface Ledger {
  chainId(): Promise<bigint>;
  readonly contractAddress: string;
  /** Sends one anchoring transaction and waits for its receipt. */
  anchor(request: AnchorRequest): Promise<AnchorReceipt>;
  /** Looks the root up on chain (events); null when the chain does not know it. */
  findAnchor(root: Uint8Array, hint?: { blockNumber?: number }): Promise<(AnchorReceipt & AnchorRequest) | null>;
  /** Every anchor the contract holds, in chain order: start-up checks and rebuild. */
  listAnchors(): Promise<(AnchorReceipt & AnchorRequest)[]>;
  blockNumber(): Promise<number>;
  close(): Promise<void>;
}
