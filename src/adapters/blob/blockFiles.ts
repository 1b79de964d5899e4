import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NextToLast } from "blockstore-fs/sharding";
import type { CID } from "multiformats/cid";
import { rawCid } from "./rawCid.ts";

/**
 * Block files laid out exactly as blockstore-fs lays them out (NextToLast sharding, base32
 * multihash names), written the way it writes them (temp file, then rename, so a crash never
 * leaves a partial block) minus its mkdir per block, which cost more than the write. Shared by
 * HeliaBlobStore and the record preparation worker, which stores sealed records itself.
 */
export class BlockFiles {
  readonly dir: string;
  readonly #sharding = new NextToLast();
  /** Shard directories known to exist. */
  readonly #made = new Set<string>();
  #temps = 0;
  /** Reused by readSync: most blocks are a few KiB. */
  #readBuffer: Buffer | undefined;

  constructor(blocksDir: string) {
    this.dir = blocksDir;
  }

  pathOf(cid: CID): string {
    const { dir, file } = this.#sharding.encode(cid);
    return join(this.dir, dir, file);
  }

  /**
   * A block file's bytes, blocking: open, one read into a reused buffer, close. readFileSync
   * also stats the file and allocates per call (three times the CPU for a 1 KiB block).
   * A read that fills the buffer continues with readFileSync on the same descriptor.
   */
  readSync(dir: string, file: string): Buffer {
    const buffer = (this.#readBuffer ??= Buffer.allocUnsafe(256 * 1024));
    const fd = openSync(join(this.dir, dir, file), "r");
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n < buffer.length) return Buffer.from(buffer.subarray(0, n));
      return Buffer.concat([buffer, readFileSync(fd)]); // the rest, from where the read stopped
    } finally {
      closeSync(fd);
    }
  }

  async write(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    const cid = rawCid(bytes);
    const { dir, file } = this.#sharding.encode(cid);
    const dirPath = join(this.dir, dir);
    if (!this.#made.has(dir)) {
      await mkdir(dirPath, { recursive: true });
      this.#made.add(dir);
    }
    const temp = this.#temp(dirPath, file);
    try {
      await writeFile(temp, bytes, options.signal ? { signal: options.signal } : {});
      await rename(temp, join(dirPath, file));
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return cid.toString();
  }

  /** The same, blocking: for a worker thread, where blocking costs nobody else. */
  writeSync(bytes: Uint8Array): string {
    const cid = rawCid(bytes);
    const { dir, file } = this.#sharding.encode(cid);
    const dirPath = join(this.dir, dir);
    if (!this.#made.has(dir)) {
      mkdirSync(dirPath, { recursive: true });
      this.#made.add(dir);
    }
    const temp = this.#temp(dirPath, file);
    try {
      writeFileSync(temp, bytes);
      renameSync(temp, join(dirPath, file));
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // never written
      }
      throw error;
    }
    return cid.toString();
  }

  #temp(dirPath: string, file: string): string {
    return join(dirPath, `${file}.${process.pid}-${Math.random().toString(36).slice(2, 8)}-${(this.#temps += 1)}.tmp`);
  }
}
