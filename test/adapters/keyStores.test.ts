import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileKeyStore } from "../../src/adapters/keys/FileKeyStore.ts";
import { MemoryKeyStore } from "../../src/adapters/keys/MemoryKeyStore.ts";
import { keyStoreContract } from "./keyStore.contract.ts";

keyStoreContract("MemoryKeyStore", async () => {
  const store = new MemoryKeyStore();
  return { store, cleanup: () => store.close() };
});

keyStoreContract("FileKeyStore (key directory in a temp dir)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-keys-"));
  const store = await FileKeyStore.open({ dir });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
