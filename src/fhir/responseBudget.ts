import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { VersionRow } from "../ports/VersionStore.ts";
import type { StoredVersion } from "../records/RecordRepository.ts";

/** Caps on the stored resources one response carries (a search page, a `$everything` page, a batch). */
export interface ResponseLimits {
  /** Bytes of stored resources (their JSON as stored); default 64 MiB. */
  maxBytes: number;
  /** Resources; default 10000. */
  maxResources: number;
}

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = { maxBytes: 64 * 1024 * 1024, maxResources: 10_000 };

/** Resources loaded at once while a page is filled: no more than these are held beyond the budget. */
const LOAD_WINDOW = 8;

/**
 * What is left of a response's caps, taken resource by resource as they are added. A resource
 * that does not fit is refused, except the first of the response: one resource (never larger
 * than a request body could be) always fits, so a page always makes progress. Once a resource
 * was refused, the budget is spent: a batch answers every later read with an error, in order.
 * A 100-entry batch of searches over a 31 MB resource took 3.7 GB and 23 s before there was one.
 */
export class ResponseBudget {
  readonly limits: ResponseLimits;
  #bytes = 0;
  #resources = 0;
  #spent = false;

  constructor(limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS) {
    this.limits = limits;
  }

  /** Resources that may still be added. */
  get resourcesLeft(): number {
    return this.#spent ? 0 : Math.max(0, this.limits.maxResources - this.#resources);
  }

  /** True once a resource was refused (nothing more is taken). */
  get spent(): boolean {
    return this.#spent;
  }

  /** Adds a resource of `bytes` if it fits (or is the first); false, and the budget spent, when it does not. */
  take(bytes: number): boolean {
    if (this.#spent) return false;
    const first = this.#resources === 0;
    if (!first && (this.#resources + 1 > this.limits.maxResources || this.#bytes + bytes > this.limits.maxBytes)) {
      this.#spent = true;
      return false;
    }
    this.#resources += 1;
    this.#bytes += bytes;
    return true;
  }

  /** A sentence naming the caps, for the diagnostics of what they cut off. */
  describe(): string {
    return `${this.limits.maxResources} resources or ${this.limits.maxBytes} bytes per response (FHIRLEDGER_MAX_RESPONSE_RESOURCES, FHIRLEDGER_MAX_RESPONSE_BYTES)`;
  }

  /** The error of a read the budget has no room left for. */
  refusal(): FhirLedgerError {
    const message = `The response is full: it holds at most ${this.describe()}`;
    return new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
  }
}

/** The size a stored version counts for: its stored bytes. */
export function storedSize(stored: StoredVersion): number {
  if (stored.bytes) return stored.bytes.byteLength;
  const text = stored.text;
  return typeof text === "string" ? Buffer.byteLength(text) : 0;
}

/**
 * Loads `rows` in order while `budget` takes them, a few at a time; stops at the first that
 * does not fit. `complete`: every row was loaded.
 */
export async function loadWithin(
  rows: readonly VersionRow[],
  budget: ResponseBudget,
  load: (row: VersionRow) => Promise<StoredVersion>,
): Promise<{ loaded: StoredVersion[]; complete: boolean }> {
  const loaded: StoredVersion[] = [];
  for (let start = 0; start < rows.length; start += LOAD_WINDOW) {
    const window = await Promise.all(rows.slice(start, start + LOAD_WINDOW).map(load));
    for (const stored of window) {
      if (!budget.take(storedSize(stored))) return { loaded, complete: false };
      loaded.push(stored);
    }
  }
  return { loaded, complete: true };
}
