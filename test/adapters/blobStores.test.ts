import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { describe } from "vitest";
import { HeliaBlobStore } from "../../src/adapters/blob/HeliaBlobStore.ts";
import { KuboBlobStore } from "../../src/adapters/blob/KuboBlobStore.ts";
import { MemoryBlobStore } from "../../src/adapters/blob/MemoryBlobStore.ts";
import type { BlobStore } from "../../src/ports/BlobStore.ts";
import { blobStoreContract } from "./blobStore.contract.ts";
import { flipBlockByte } from "../support/blocksDb.ts";

// Memory: no I/O to abort and nothing to reopen, so those two cases are not registered for it.
blobStoreContract(
  "MemoryBlobStore",
  async () => {
    const store = new MemoryBlobStore();
    return {
      store,
      tamper: async (cid) => {
        store.raw(cid)![0]! ^= 0xff;
      },
      cleanup: () => store.close(),
    };
  },
  { tamper: true },
);

blobStoreContract(
  "HeliaBlobStore (SQLite blockstore in a temp dir)",
  async () => {
    const repoDir = await mkdtemp(join(tmpdir(), "fhirledger-helia-"));
    let store: BlobStore = await HeliaBlobStore.open({ repoDir });
    return {
      get store() {
        return store;
      },
      // Flip one byte of the block's row, through a connection of its own (as anyone with the file could).
      tamper: async (cid) => flipBlockByte(join(repoDir, "blocks.db"), CID.parse(cid).multihash.bytes, 0, 0xff),
      reopen: async () => {
        await store.close();
        store = await HeliaBlobStore.open({ repoDir });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await rm(repoDir, { recursive: true, force: true });
      },
    };
  },
  { tamper: true, reopen: true, abort: true, directBlockWrites: true },
);

// A real Kubo daemon, only when one is configured: see docs/kubo.md. There is no RPC to alter
// a block behind Kubo's back, so the tamper case is covered by the protocol fake
// (kuboFake.test.ts) and by Kubo's own re-hash (`ipfs repo verify`) instead.
const kuboApiUrl = process.env.KUBO_API_URL;
describe.skipIf(!kuboApiUrl)("real Kubo daemon at KUBO_API_URL", () => {
  blobStoreContract(
    "KuboBlobStore (real Kubo)",
    async () => {
      let store = await KuboBlobStore.open({ apiUrl: kuboApiUrl! });
      const written = new Set<string>();
      const tracked: BlobStore = {
        put: async (bytes, options) => {
          const cid = await store.put(bytes, options);
          written.add(cid);
          return cid;
        },
        get: (cid, options) => store.get(cid, options),
        has: (cid) => store.has(cid),
        delete: (cid) => store.delete(cid),
        close: () => store.close(),
      };
      return {
        store: tracked,
        reopen: async () => {
          await store.close();
          store = await KuboBlobStore.open({ apiUrl: kuboApiUrl! });
          return tracked;
        },
        // Leave the daemon as we found it: unpin and remove every block this test wrote.
        cleanup: async () => {
          await store.close();
          const fresh = await KuboBlobStore.open({ apiUrl: kuboApiUrl! });
          for (const cid of written) await fresh.delete(cid);
          await fresh.close();
        },
      };
    },
    { reopen: true, abort: true },
  );
});
