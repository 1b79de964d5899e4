import type { AnchoringOutbox } from "./AnchoringOutbox.ts";
import type { HistoryIndex } from "./HistoryIndex.ts";
import type { RebuildTarget } from "./RebuildTarget.ts";
import type { SearchIndex } from "./SearchIndex.ts";
import type { TransactionReceipts } from "./TransactionReceipts.ts";
import type { VersionStore } from "./VersionStore.ts";

/**
 * The derived, rebuildable index, as the parts it holds: versions (with the commit that writes a
 * version, its log leaf, its search rows and a transaction receipt atomically), transaction
 * receipts, the anchoring outbox, search, history and compartments, and the rebuild's target.
 * One adapter implements all of them over one database (their commits share transactions);
 * callers depend on the parts they use. Every method is async so that an adapter over a network
 * database can implement it.
 */
export interface Index
  extends VersionStore,
    TransactionReceipts,
    AnchoringOutbox,
    SearchIndex,
    HistoryIndex,
    RebuildTarget {
  close(): void | Promise<void>;
}
