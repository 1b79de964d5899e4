import type { Blockstore, InputPair, Pair } from "interface-blockstore";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import type { SqliteBlocks } from "./SqliteBlocks.ts";

type Bytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
interface Abortable {
  signal?: AbortSignal;
}

/** What interface-store throws for a missing key; Helia tells it by its name. */
export class BlockNotFoundError extends Error {
  override readonly name = "NotFoundError";
  readonly code = "ERR_NOT_FOUND";
  constructor(cid: CID) {
    super(`block ${cid.toString()} not found`);
  }
}

/**
 * SqliteBlocks as the Blockstore of the embedded Helia node, so Helia's own APIs (pins, graph
 * walks, gc) see the blocks the server stores. Keyed by multihash, like blockstore-fs; getAll
 * answers raw CIDs, as blockstore-fs does. Bytes are not re-hashed here: Helia verifies what
 * it reads, and HeliaBlobStore re-hashes on every get.
 */
export class SqliteBlockstore implements Blockstore {
  readonly #blocks: SqliteBlocks;

  constructor(blocks: SqliteBlocks) {
    this.#blocks = blocks;
  }

  has(key: CID, options?: Abortable): boolean {
    options?.signal?.throwIfAborted();
    return this.#blocks.has(key.multihash.bytes);
  }

  async put(key: CID, val: Bytes, options?: Abortable): Promise<CID> {
    options?.signal?.throwIfAborted();
    const bytes = await concat(val);
    options?.signal?.throwIfAborted();
    this.#blocks.putKeyed([{ multihash: key.multihash.bytes, bytes }]);
    return key;
  }

  async *putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: Abortable): AsyncGenerator<CID> {
    for await (const { cid, bytes } of source) yield await this.put(cid, bytes, options);
  }

  *get(key: CID, options?: Abortable): Generator<Uint8Array> {
    options?.signal?.throwIfAborted();
    const bytes = this.#blocks.get(key.multihash.bytes);
    if (bytes === undefined) throw new BlockNotFoundError(key);
    yield bytes;
  }

  async *getMany(source: Iterable<CID> | AsyncIterable<CID>, options?: Abortable): AsyncGenerator<Pair> {
    for await (const cid of source) yield { cid, bytes: this.get(cid, options) };
  }

  delete(key: CID, options?: Abortable): void {
    options?.signal?.throwIfAborted();
    this.#blocks.delete(key.multihash.bytes);
  }

  async *deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: Abortable): AsyncGenerator<CID> {
    for await (const cid of source) {
      this.delete(cid, options);
      yield cid;
    }
  }

  *getAll(options?: Abortable): Generator<Pair> {
    for (const { multihash, bytes } of this.#blocks.entries()) {
      options?.signal?.throwIfAborted();
      yield { cid: CID.createV1(raw.code, Digest.decode(multihash)), bytes: once(bytes) };
    }
  }
}

function* once(bytes: Uint8Array): Generator<Uint8Array> {
  yield bytes;
}

async function concat(val: Bytes): Promise<Uint8Array> {
  if (val instanceof Uint8Array) return val;
  const parts: Uint8Array[] = [];
  for await (const part of val) parts.push(part);
  return Buffer.concat(parts);
}
