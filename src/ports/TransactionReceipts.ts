/** Names a transaction for idempotency: its Bundle.identifier and a hash of its content. */
export interface TransactionReceiptKey {
  key: string;
  requestHash: string;
}

/** What the index remembers of a transaction committed with an idempotency key. */
export interface TransactionReceipt extends TransactionReceiptKey {
  committedAt: string;
  /** The response kept after the commit (deflated JSON); null when the server stopped first. */
  response: Uint8Array | null;
}

/**
 * Receipts of FHIR transactions committed with an idempotency key, so a repeat is answered with
 * the first response instead of being applied twice. A receipt is written by
 * `VersionStore.commitMany` in the transaction's own commit.
 */
export interface TransactionReceipts {
  /** The receipt of a committed transaction with this idempotency key, or null. */
  transactionReceipt(key: string): Promise<TransactionReceipt | null>;
  /** Keeps the response of a committed transaction beside its receipt (for repeats). */
  keepTransactionResponse(key: string, response: Uint8Array): Promise<void>;
}
