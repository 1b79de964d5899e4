import { shortHash } from "./VerificationCheck.ts";

/** One RootAnchored event of the trusted contract. Hashes as 64 lower-case hex characters. */
export interface AnchorEvent {
  root: string;
  /** Zero (64 "0") for the first batch of a log. */
  prevRoot: string;
  blockNumber: number;
  /** Position of the log in its block: with the block number, the event's place in chain order. */
  logIndex: number;
}

/** Where a root sits in the contract's anchor log: its place in the single chain, or why it has none. */
export type RootPlacement = { linked: true; position: number; length: number } | { linked: false; reason: string };

const ZERO = "0".repeat(64);

/**
 * Places `root` in the single prevRoot-linked chain of a contract's RootAnchored events.
 *
 * That chain starts at the one event whose prevRoot is zero and goes on, from each root, to the
 * one event that names it as its prevRoot, anchored after it. A root is in it or it is refused:
 * an event the server's anchorer never sent (someone else holding the anchorer role, or a dev
 * chain's public keys) can only join the log as a second first batch, a batch naming a root that
 * another batch already names, a duplicate, or a batch after a root never anchored. Where the log
 * forks, the chain alone cannot tell which branch is genuine, so the chain ends before the fork
 * and every root after it, on either branch, is refused (fail closed).
 *
 * `events` in any order; they are sorted by block and log index.
 */
export function placeRoot(events: readonly AnchorEvent[], root: string): RootPlacement {
  const sorted = [...events].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const byRoot = groupBy(sorted, (e) => e.root);
  const children = groupBy(sorted, (e) => e.prevRoot);

  // Walk from zero while each step is unambiguous.
  const chain = new Map<string, number>();
  let node = ZERO;
  let last: AnchorEvent | null = null;
  let stop: string | null = null;
  for (;;) {
    const next = children.get(node) ?? [];
    if (next.length === 0) break;
    if (next.length > 1) {
      stop =
        node === ZERO
          ? `${next.length} batches start a log (prevRoot zero), in blocks ${blocks(next)}: the anchor log forks at its start`
          : `${next.length} batches name root ${shortHash(node)} as their previous root, in blocks ${blocks(next)}: the anchor log forks there`;
      stop += ", and the chain alone cannot tell which branch is genuine";
      break;
    }
    const event = next[0]!;
    const copies = byRoot.get(event.root)!;
    if (copies.length > 1 || event.root === ZERO) {
      stop = `root ${shortHash(event.root)} was anchored ${copies.length} times, in blocks ${blocks(copies)}`;
      break;
    }
    if (last !== null && !after(event, last)) {
      stop = `root ${shortHash(event.root)} was anchored in block ${event.blockNumber}, before its previous root ${shortHash(node)}`;
      break;
    }
    chain.set(event.root, chain.size + 1);
    node = event.root;
    last = event;
  }

  const position = chain.get(root);
  if (position !== undefined) return { linked: true, position, length: chain.size };
  const own = byRoot.get(root);
  if (own === undefined) return { linked: false, reason: `root ${shortHash(root)} was never anchored` };
  if (own.length > 1)
    return {
      linked: false,
      reason: `root ${shortHash(root)} was anchored ${own.length} times, in blocks ${blocks(own)}`,
    };
  // Its own ancestry, back towards zero: a break there is the nearer reason.
  let step = own[0]!;
  for (let hops = 0; step.prevRoot !== ZERO && hops <= sorted.length; hops++) {
    const parents = byRoot.get(step.prevRoot);
    if (parents === undefined)
      return {
        linked: false,
        reason: `root ${shortHash(step.root)} (block ${step.blockNumber}) names previous root ${shortHash(step.prevRoot)}, which was never anchored: it is not linked to the log's start`,
      };
    if (parents.length > 1)
      return {
        linked: false,
        reason: `its ancestor ${shortHash(step.prevRoot)} was anchored ${parents.length} times, in blocks ${blocks(parents)}`,
      };
    step = parents[0]!;
  }
  if (step.prevRoot !== ZERO)
    return {
      linked: false,
      reason: `root ${shortHash(root)} is in a cycle of previous roots, not linked to the log's start`,
    };
  // Linked back to zero, so the walk stopped on its way here.
  return { linked: false, reason: stop ?? `root ${shortHash(root)} is not on the prevRoot-linked chain` };
}

function after(a: AnchorEvent, b: AnchorEvent): boolean {
  return a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex > b.logIndex);
}

function blocks(events: readonly AnchorEvent[]): string {
  return events
    .slice(0, 5)
    .map((e) => e.blockNumber)
    .join(", ")
    .concat(events.length > 5 ? ", …" : "");
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
