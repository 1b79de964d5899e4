import { FetchRequest, Interface, JsonRpcProvider } from "ethers";
import type { Log } from "ethers";
import { loadContractArtifact } from "../../adapters/ledger/artifacts.ts";
import type { Logger } from "../../ports/Logger.ts";
import { redactUrl } from "../../verify/redactUrl.ts";

/** A granted key as the registry holds it: expiry (seconds since the epoch) and controller (lower-case; zero for an operator's grant). */
export interface ChainConsent {
  expiresAt: bigint;
  controller: string;
}

export interface ChainConsentFollowerOptions {
  rpcUrl: string;
  /** The deployed ConsentRegistry. */
  registryAddress: string;
  /** The registry's deployment block: nothing before it can concern it. 0 by default. */
  fromBlock?: number;
  /** Between polls; at most 500 ms (a revocation must count within 2 s). 250 ms by default. */
  pollMs?: number;
  /** Blocks per eth_getLogs call, for endpoints that limit the range. 5,000 by default. */
  maxBlockRange?: number;
  /**
   * With no successful poll for this long, the follower counts as stale and every wallet-held
   * consent stops counting until it catches up: an unreachable chain could be hiding a
   * revocation. 10 s by default.
   */
  maxStalenessMs?: number;
  log?: Logger;
  now?: () => number;
}

const MAX_POLL_MS = 500;

/**
 * Follows ConsentRegistry's ConsentGranted and ConsentRevoked events from the deployment
 * block, polling from the last block seen, and keeps each key's expiry and controller in
 * memory. `version()` bumps on every event, when a known grant's expiry passes, and when the
 * follower turns stale or fresh, so
 * a consent decision built on it knows to look again. A revocation made directly on chain by
 * anyone holding the patient's signature is seen on the next poll.
 *
 * Reorganisations are not undone: on a chain with reorgs, start it on a confirmed block range
 * by giving the endpoint of a finalized view.
 */
export class ChainConsentFollower {
  readonly #provider: JsonRpcProvider;
  readonly #iface: Interface;
  readonly #address: string;
  readonly #pollMs: number;
  readonly #maxRange: number;
  readonly #maxStalenessMs: number;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #rpcLabel: string;
  readonly #consents = new Map<string, ChainConsent>();
  #nextBlock: number;
  #events = 0;
  #freshnessFlips = 0;
  #expiries = 0;
  /** The earliest expiry (ms) of a grant not yet counted as expired; scanned for only when it passes. */
  #nextExpiryMs = Number.POSITIVE_INFINITY;
  readonly #expired = new Set<string>();
  #lastFresh: boolean | undefined;
  #lastSuccess = -Infinity;
  #synced = false;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #running: Promise<void> | undefined;
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;

  constructor(options: ChainConsentFollowerOptions) {
    const pollMs = options.pollMs ?? 250;
    if (!(pollMs > 0 && pollMs <= MAX_POLL_MS)) throw new Error(`pollMs must be in (0, ${MAX_POLL_MS}]`);
    this.#pollMs = pollMs;
    this.#maxRange = options.maxBlockRange ?? 5000;
    this.#maxStalenessMs = options.maxStalenessMs ?? 10_000;
    this.#address = options.registryAddress;
    this.#nextBlock = options.fromBlock ?? 0;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#rpcLabel = redactUrl(options.rpcUrl);
    // A request that hangs must not hold up the polls for ethers' default 5 minutes: staleness is judged in seconds.
    const request = new FetchRequest(options.rpcUrl);
    request.timeout = Math.max(1000, Math.min(5000, this.#maxStalenessMs / 2));
    this.#provider = new JsonRpcProvider(request, undefined, {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    this.#iface = new Interface(loadContractArtifact("ConsentRegistry").abi);
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
  }

  /** Starts polling; resolves once the follower has caught up with the chain the first time. */
  async start(): Promise<void> {
    if (this.#timer === undefined && this.#running === undefined && !this.#closed) this.#schedule(0);
    await this.#ready;
  }

  /** The key's state as last seen on chain; undefined when never granted or revoked. */
  consent(key: string): ChainConsent | undefined {
    return this.#consents.get(key.toLowerCase());
  }

  /** True once caught up, and while polls keep succeeding (see maxStalenessMs). */
  fresh(): boolean {
    const fresh = this.#synced && this.#now() - this.#lastSuccess <= this.#maxStalenessMs;
    if (this.#lastFresh !== undefined && fresh !== this.#lastFresh) this.#freshnessFlips++;
    this.#lastFresh = fresh;
    return fresh;
  }

  /** Bumps on every event followed and whenever the follower turns stale or fresh again. */
  version(): number {
    this.fresh();
    if (this.#now() >= this.#nextExpiryMs) this.#countExpiries();
    return this.#events + this.#freshnessFlips + this.#expiries;
  }

  /** The next block to read (for tests and health). */
  get nextBlock(): number {
    return this.#nextBlock;
  }

  /** Stops polling; waits for a poll under way. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    this.#provider.destroy();
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#poll().finally(() => {
        this.#running = undefined;
        if (!this.#closed) this.#schedule(this.#pollMs);
      });
    }, delayMs);
    this.#timer.unref?.();
  }

  async #poll(): Promise<void> {
    try {
      const latest = await this.#provider.getBlockNumber();
      while (this.#nextBlock <= latest && !this.#closed) {
        const toBlock = Math.min(latest, this.#nextBlock + this.#maxRange - 1);
        const logs = await this.#provider.getLogs({
          address: this.#address,
          topics: [
            [this.#iface.getEvent("ConsentGranted")!.topicHash, this.#iface.getEvent("ConsentRevoked")!.topicHash],
          ],
          fromBlock: this.#nextBlock,
          toBlock,
        });
        for (const log of logs) this.#apply(log);
        this.#nextBlock = toBlock + 1;
      }
      this.#lastSuccess = this.#now();
      if (this.#failing) this.#log?.info("following ConsentRegistry events again", { rpc: this.#rpcLabel });
      this.#failing = false;
      if (!this.#synced) {
        this.#synced = true;
        this.#resolveReady();
      }
    } catch (error) {
      if (!this.#failing && !this.#closed)
        this.#log?.warn("reading ConsentRegistry events failed; wallet-held consents stop counting if this lasts", {
          rpc: this.#rpcLabel,
          error: (error as Error).name,
        });
      this.#failing = true;
    }
  }

  /** Counts the grants whose expiry has passed since the last count, and finds the next one. */
  #countExpiries(): void {
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, c] of this.#consents) {
      if (this.#expired.has(key)) continue;
      const ms = expiryMs(c.expiresAt);
      if (ms <= now) {
        this.#expired.add(key);
        this.#expiries++;
      } else if (ms < next) next = ms;
    }
    this.#nextExpiryMs = next;
  }

  #apply(log: Log): void {
    if (log.removed) return;
    const parsed = this.#iface.parseLog(log);
    if (parsed === null) return;
    const key = (parsed.args.getValue("commitment") as string).toLowerCase();
    if (parsed.name === "ConsentGranted") {
      const expiresAt = parsed.args.getValue("expiresAt") as bigint;
      this.#consents.set(key, { expiresAt, controller: (parsed.args.getValue("controller") as string).toLowerCase() });
      this.#expired.delete(key);
      this.#nextExpiryMs = Math.min(this.#nextExpiryMs, expiryMs(expiresAt));
    } else if (parsed.name === "ConsentRevoked") {
      this.#consents.delete(key);
      this.#expired.delete(key);
    } else return;
    this.#events++;
  }
}

/** A chain expiry (seconds) in epoch ms; the no-end value 2^64-1 is far beyond any date. */
function expiryMs(expiresAt: bigint): number {
  return expiresAt > 8_640_000_000_000n ? Number.POSITIVE_INFINITY : Number(expiresAt) * 1000;
}
