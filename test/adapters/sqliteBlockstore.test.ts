import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { FsDatastore } from "datastore-fs";
import { createHeliaLight } from "helia";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HeliaBlobStore } from "../../src/adapters/blob/HeliaBlobStore.ts";
import { rawCid } from "../../src/adapters/blob/rawCid.ts";
import { SqliteBlocks } from "../../src/adapters/blob/SqliteBlocks.ts";
import { SqliteBlockstore } from "../../src/adapters/blob/SqliteBlockstore.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fhirledger-blocks-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function drain<T>(source: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

const bytesOf = async (source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) => Buffer.concat(await drain(source));

describe("SqliteBlockstore (interface-blockstore over SqliteBlocks)", () => {
  it("puts, gets, tells and deletes blocks by multihash, in every form the interface allows", async () => {
    const blocks = new SqliteBlocks(join(dir, "blocks.db"));
    const store = new SqliteBlockstore(blocks);
    try {
      const a = randomBytes(3000);
      const cidA = rawCid(a);
      expect(store.has(cidA)).toBe(false);
      expect(() => [...store.get(cidA)]).toThrow(expect.objectContaining({ name: "NotFoundError" }));
      expect((await store.put(cidA, a)).equals(cidA)).toBe(true);
      expect(store.has(cidA)).toBe(true);
      expect((await bytesOf(store.get(cidA))).equals(a)).toBe(true);
      // the same multihash under another codec is the same block, as in blockstore-fs
      const asDagPb = CID.createV1(0x70, cidA.multihash);
      expect(store.has(asDagPb)).toBe(true);
      // bytes given in parts, synchronously or not
      const b = randomBytes(5000);
      const cidB = rawCid(b);
      await store.put(
        cidB,
        (async function* () {
          yield b.subarray(0, 1000);
          yield b.subarray(1000);
        })(),
      );
      expect((await bytesOf(store.get(cidB))).equals(b)).toBe(true);
      const c = randomBytes(10);
      const cidC = rawCid(c);
      expect(await drain(store.putMany([{ cid: cidC, bytes: [c.subarray(0, 4), c.subarray(4)] }]))).toEqual([cidC]);
      const many = await drain(store.getMany([cidA, cidC]));
      expect(many.map((p) => p.cid.toString())).toEqual([cidA.toString(), cidC.toString()]);
      expect((await bytesOf(many[1]!.bytes)).equals(c)).toBe(true);
      const all = await drain(store.getAll());
      expect(all.map((p) => p.cid.toString()).sort()).toEqual([cidA, cidB, cidC].map(String).sort());
      expect((await bytesOf(all.find((p) => p.cid.equals(cidB))!.bytes)).equals(b)).toBe(true);
      store.delete(cidA);
      expect(store.has(cidA)).toBe(false);
      expect(await drain(store.deleteMany([cidB, cidC]))).toHaveLength(2);
      expect(await drain(store.getAll())).toEqual([]);
      await expect(store.put(cidA, a, { signal: AbortSignal.abort() })).rejects.toThrow(
        expect.objectContaining({ name: "AbortError" }),
      );
      expect(store.has(cidA)).toBe(false);
    } finally {
      blocks.close();
    }
  });

  it("is what the Helia node reads: a block stored by the server can be pinned and read through Helia", async () => {
    const blocks = new SqliteBlocks(join(dir, "blocks.db"));
    const datastore = new FsDatastore(join(dir, "datastore"));
    await datastore.open();
    const helia = await createHeliaLight({ blockstore: new SqliteBlockstore(blocks), datastore });
    try {
      const bytes = randomBytes(2000);
      const cid = CID.parse(blocks.put(bytes));
      expect((await bytesOf(helia.blockstore.get(cid))).equals(bytes)).toBe(true);
      await drain(helia.pins.add(cid));
      expect(await helia.pins.isPinned(cid)).toBe(true);
      // and a block Helia stores (another codec) is a row like any other
      const node = new TextEncoder().encode(JSON.stringify({ record: { "/": cid.toString() } }));
      const nodeCid = CID.createV1(0x0129, await sha256.digest(node)); // dag-json
      await helia.blockstore.put(nodeCid, node);
      expect(Buffer.from(blocks.get(nodeCid.multihash.bytes)!).equals(node)).toBe(true);
    } finally {
      await helia.stop();
      await datastore.close();
      blocks.close();
    }
  });

  it("lets two connections write the same file (the preparation worker and the main thread)", () => {
    const path = join(dir, "blocks.db");
    const main = new SqliteBlocks(path);
    const worker = new SqliteBlocks(path);
    try {
      const fromWorker = worker.putAll([randomBytes(100), randomBytes(200)]);
      const fromMain = main.put(randomBytes(300));
      for (const cid of [...fromWorker, fromMain])
        expect(main.has(CID.parse(cid).multihash.bytes) && worker.has(CID.parse(cid).multihash.bytes)).toBe(true);
      // storing the same bytes again keeps one row
      const again = randomBytes(50);
      expect(main.put(again)).toBe(worker.putAll([again])[0]);
      expect([...main.entries()]).toHaveLength(4);
    } finally {
      main.close();
      worker.close();
    }
  });

  it("keeps blocks whose digests share an id apart, and refuses a 17th rather than overwrite one", () => {
    const blocks = new SqliteBlocks(join(dir, "blocks.db"));
    try {
      // sha2-256 multihashes that differ only before their last 8 bytes: the same id window
      const tail = randomBytes(8);
      const colliding = Array.from({ length: 17 }, () =>
        Buffer.concat([Buffer.from([0x12, 0x20]), randomBytes(24), tail]),
      );
      const payloads = colliding.map((_, i) => Buffer.from(`block ${i}`));
      for (let i = 0; i < 16; i++) blocks.putKeyed([{ multihash: colliding[i]!, bytes: payloads[i]! }]);
      for (let i = 0; i < 16; i++) expect(Buffer.from(blocks.get(colliding[i]!)!).toString()).toBe(`block ${i}`);
      expect(blocks.has(colliding[16]!)).toBe(false);
      expect(() => blocks.putKeyed([{ multihash: colliding[16]!, bytes: payloads[16]! }])).toThrow(
        expect.objectContaining({ code: "conflict" }),
      );
      // storing one of them again changes nothing; deleting one frees its id for another
      blocks.putKeyed([{ multihash: colliding[3]!, bytes: payloads[3]! }]);
      blocks.delete(colliding[5]!);
      expect(blocks.has(colliding[5]!)).toBe(false);
      blocks.putKeyed([{ multihash: colliding[16]!, bytes: payloads[16]! }]);
      for (const i of [0, 3, 6, 15, 16]) expect(Buffer.from(blocks.get(colliding[i]!)!).toString()).toBe(`block ${i}`);
      expect([...blocks.entries()]).toHaveLength(16);
      // a multihash shorter than 8 bytes (identity) is a block like any other
      const tiny = Uint8Array.from([0x00, 0x02, 0x68, 0x69]);
      blocks.putKeyed([{ multihash: tiny, bytes: Uint8Array.from([0x68, 0x69]) }]);
      expect(Buffer.from(blocks.get(tiny)!).toString()).toBe("hi");
    } finally {
      blocks.close();
    }
  });

  it("zeroes a deleted block's bytes in the database file (secure_delete)", async () => {
    const path = join(dir, "blocks.db");
    const blocks = new SqliteBlocks(path);
    const marker = Buffer.from("ERASE-ME-".repeat(400));
    const cid = CID.parse(blocks.put(marker));
    blocks.delete(cid.multihash.bytes);
    blocks.close(); // the last connection checkpoints the WAL into the file and removes it
    const db = new DatabaseSync(path);
    db.exec("VACUUM INTO ':memory:'"); // reads every page: the file is a sound database
    db.close();
    expect((await readFile(path)).includes(Buffer.from("ERASE-ME-ERASE-ME"))).toBe(false);
  });
});

describe("HeliaBlobStore on a repo of the earlier layout (blockstore-fs files under blocks/)", () => {
  it("moves every block into blocks.db, removes the files, and serves the blocks under their CIDs", async () => {
    const legacy = new FsBlockstore(join(dir, "blocks"), { shardingStrategy: new NextToLast() });
    await legacy.open();
    const blocks = Array.from({ length: 700 }, (_, i) => randomBytes(1 + ((i * 37) % 4000))); // more than one migration batch
    const cids = blocks.map((b) => rawCid(b));
    for (let i = 0; i < blocks.length; i++) await legacy.put(cids[i]!, blocks[i]!);
    await legacy.close();
    // an interrupted write's temp file, and a file that is not a block
    const shard = (await readdir(join(dir, "blocks")))[0]!;
    await writeFile(join(dir, "blocks", shard, "BCIQTEMP.data.1234-abc-1.tmp"), "partial");
    await mkdir(join(dir, "blocks", "notes"), { recursive: true });
    await writeFile(join(dir, "blocks", "notes", "README"), "keep me");

    let store = await HeliaBlobStore.open({ repoDir: dir });
    try {
      for (let i = 0; i < blocks.length; i++)
        expect(Buffer.from(await store.get(cids[i]!.toString())).equals(blocks[i]!)).toBe(true);
      const left = (await readdir(join(dir, "blocks"), { recursive: true })).sort();
      expect(left).toEqual(["notes", "notes/README"]);
      // opening again (nothing left to move) changes nothing
      await store.close();
      store = await HeliaBlobStore.open({ repoDir: dir });
      expect(Buffer.from(store.getSync(cids[0]!.toString())).equals(blocks[0]!)).toBe(true);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(join(dir, "blocks.db"));
    expect((db.prepare("SELECT count(*) AS n FROM blocks").get() as { n: number }).n).toBe(700);
    db.close();
  });

  it("finishes a migration that was interrupted after some blocks were moved and before their files went", async () => {
    const legacy = new FsBlockstore(join(dir, "blocks"), { shardingStrategy: new NextToLast() });
    await legacy.open();
    const blocks = Array.from({ length: 20 }, () => randomBytes(500));
    for (const b of blocks) await legacy.put(rawCid(b), b);
    await legacy.close();
    // half already in the file, all still on disk
    const partial = new SqliteBlocks(join(dir, "blocks.db"));
    partial.putAll(blocks.slice(0, 10));
    partial.close();
    const store = await HeliaBlobStore.open({ repoDir: dir });
    try {
      for (const b of blocks) expect(Buffer.from(await store.get(rawCid(b).toString())).equals(b)).toBe(true);
      await expect(readdir(join(dir, "blocks"))).rejects.toThrow(expect.objectContaining({ code: "ENOENT" }));
    } finally {
      await store.close();
    }
  });
});
