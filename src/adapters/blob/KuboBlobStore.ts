import { create } from "kubo-rpc-client";
import type { HTTPRPCOptions, KuboRPCClient } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BlobStore } from "../../ports/BlobStore.ts";
import { rawCid } from "./rawCid.ts";

/** Options of {@link KuboBlobStore.open}. */
export interface KuboBlobStoreOptions {
  /** Kubo RPC API base URL, e.g. `http://127.0.0.1:5001`; `user:pass@` becomes a Basic Authorization header. */
  apiUrl: string;
  /** Per-request deadline, enforced by the client and sent to Kubo as `timeout`. Default 10 s. */
  timeoutMs?: number;
}

/** Kubo's global options ride along as query parameters (kubo-rpc-client kebab-cases the keys). */
type KuboRequestOptions = HTTPRPCOptions & { offline?: boolean; cidCodec?: string };

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Kubo's soft block limit: bigger blocks are stored but cannot travel over bitswap. */
const SOFT_BLOCK_LIMIT = 1024 * 1024;

/**
 * BlobStore on a Kubo node through its RPC API (kubo-rpc-client).
 * Every block is CIDv1 raw sha2-256 and pinned, exactly as rawCid computes it, so CIDs are the
 * same whichever adapter stored them. Reads and lookups are sent with `offline=true` so a
 * missing block is answered from the local repo instead of a DHT search, and every request has
 * a deadline. Bytes are re-hashed on read: the Kubo repo is someone else's disk.
 */
export class KuboBlobStore implements BlobStore {
  readonly #client: KuboRPCClient;
  readonly #timeoutMs: number;
  /** The API URL without credentials: the only form that may appear in a message. */
  readonly #safeUrl: string;
  #closed = false;

  private constructor(client: KuboRPCClient, timeoutMs: number, safeUrl: string) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#safeUrl = safeUrl;
  }

  /** Connects to Kubo and checks it answers (`/api/v0/version`), so a wrong URL fails at start-up. */
  static async open(options: KuboBlobStoreOptions): Promise<KuboBlobStore> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new FhirLedgerError("invalid", "Kubo timeoutMs must be a positive integer");
    const { url, authorization } = splitCredentials(options.apiUrl);
    // fetch refuses URLs with credentials, and would echo them in its error: send a header instead.
    const client = create({ url, ...(authorization ? { headers: { authorization } } : {}) });
    const store = new KuboBlobStore(client, timeoutMs, url.origin);
    await store.#call("version", {}, (o) => client.version(o));
    return store;
  }

  async put(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    const expected = rawCid(bytes).toString();
    const putOptions: KuboRequestOptions & { mhtype: string; pin: boolean; allowBigBlock: boolean } = {
      cidCodec: "raw",
      mhtype: "sha2-256",
      pin: true,
      // Same semantics as the Helia store, which has no block limit; see docs/kubo.md.
      allowBigBlock: bytes.byteLength > SOFT_BLOCK_LIMIT,
    };
    const cid = await this.#call("block/put", options, (o) => this.#client.block.put(bytes, { ...putOptions, ...o }));
    // A Kubo configured with another codec or hash would hand back a CID nobody else can verify.
    if (cid.toString() !== expected)
      throw new FhirLedgerError("integrity", "Kubo returned a CID that does not match the stored bytes");
    return expected;
  }

  async get(cid: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const parsed = parseRawCid(cid);
    const bytes = await this.#call(
      "block/get",
      options,
      (o) => this.#client.block.get(parsed, { ...o, offline: true } as KuboRequestOptions),
      { notFound: true },
    );
    if (!rawCid(bytes).equals(parsed)) throw new FhirLedgerError("integrity", "blob content does not match its CID");
    return bytes;
  }

  async has(cid: string): Promise<boolean> {
    const parsed = parseRawCid(cid);
    try {
      await this.#call(
        "block/stat",
        {},
        (o) => this.#client.block.stat(parsed, { ...o, offline: true } as KuboRequestOptions),
        { notFound: true },
      );
      return true;
    } catch (error) {
      if (error instanceof FhirLedgerError && error.code === "not-found") return false;
      throw error;
    }
  }

  async delete(cid: string): Promise<void> {
    const parsed = parseRawCid(cid);
    try {
      await this.#call("pin/rm", {}, (o) => this.#client.pin.rm(parsed, { ...o, offline: true } as KuboRequestOptions));
    } catch (error) {
      // Absent or never pinned by us: nothing to unpin, the block removal below still runs.
      if (!(error instanceof FhirLedgerError && error.code === "not-found")) throw error;
    }
    const results = await this.#call("block/rm", {}, async (o) => {
      const out: { error?: Error }[] = [];
      for await (const result of this.#client.block.rm(parsed, { ...o, force: true })) out.push(result);
      return out;
    });
    const failed = results.find((r) => r.error);
    // E.g. still pinned by someone else's recursive pin: the blob would survive an erasure.
    if (failed) throw new FhirLedgerError("conflict", "Kubo did not remove the block", { cause: failed.error });
  }

  async close(): Promise<void> {
    // The client holds no resources beyond keep-alive sockets; refuse further calls so a
    // use-after-close shows up in tests rather than silently reaching Kubo.
    this.#closed = true;
  }

  /**
   * Runs one RPC with the deadline and the caller's signal, and maps Kubo's failures to
   * FhirLedgerError codes without ever putting the Kubo message (or a URL with credentials)
   * in our message: those stay in `cause`.
   */
  async #call<T>(
    command: string,
    options: { signal?: AbortSignal },
    run: (o: KuboRequestOptions) => Promise<T>,
    mapping: { notFound?: boolean } = {},
  ): Promise<T> {
    if (this.#closed) throw new FhirLedgerError("unavailable", "Kubo blob store is closed");
    options.signal?.throwIfAborted();
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    try {
      return await run({ signal, timeout: this.#timeoutMs });
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason;
      const message = kuboMessage(cause);
      if (deadline.aborted || errorName(cause) === "TimeoutError" || /deadline exceeded|timed out/i.test(message)) {
        throw new FhirLedgerError(
          "unavailable",
          `Kubo RPC ${command} timed out after ${this.#timeoutMs} ms (${this.#safeUrl})`,
          { cause },
        );
      }
      if (mapping.notFound && isNotFound(message)) throw new FhirLedgerError("not-found", "blob not found", { cause });
      if (command === "pin/rm" && /not pinned/i.test(message))
        throw new FhirLedgerError("not-found", "blob not pinned", { cause });
      const status = httpStatus(cause);
      if (status === 401 || status === 403) {
        throw new FhirLedgerError(
          "unavailable",
          `Kubo RPC refused access to ${command}: check the credentials in the API URL (${this.#safeUrl})`,
          { cause },
        );
      }
      if (status !== null) {
        throw new FhirLedgerError("unavailable", `Kubo RPC ${command} failed (${this.#safeUrl})`, { cause });
      }
      throw new FhirLedgerError("unavailable", `Kubo RPC unreachable (${this.#safeUrl})`, { cause });
    }
  }
}

/** Accepts only the CIDs this project writes (CIDv1, raw, sha2-256): anything else is a caller error. */
function parseRawCid(cid: string): CID {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (cause) {
    throw new FhirLedgerError("invalid", "not a CID", { cause });
  }
  if (parsed.version !== 1 || parsed.code !== RAW_CODEC || parsed.multihash.code !== SHA2_256) {
    throw new FhirLedgerError("invalid", "not a CIDv1 raw sha2-256 CID");
  }
  return parsed;
}

/** Moves `user:pass@` out of the URL into a Basic Authorization header. */
function splitCredentials(apiUrl: string): { url: URL; authorization: string | null } {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new FhirLedgerError("invalid", "Kubo API URL is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new FhirLedgerError("invalid", "Kubo API URL must be http(s)");
  let authorization: string | null = null;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  url.search = "";
  url.hash = "";
  return { url, authorization };
}

/** Kubo says "block was not found locally (offline): ipld: could not find <cid>" (wording varies by version). */
function isNotFound(message: string): boolean {
  return /not found|could not find|no such block/i.test(message);
}

function kuboMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status of kubo-rpc-client's HTTPError, or null for network-level failures. */
function httpStatus(error: unknown): number | null {
  if (errorName(error) !== "HTTPError") return null;
  const status = (error as { response?: { status?: unknown } }).response?.status;
  return typeof status === "number" ? status : 0;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}
