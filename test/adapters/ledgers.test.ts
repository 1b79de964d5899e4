import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { ANVIL_DEV_PRIVATE_KEY, EmbeddedChain } from "../../src/adapters/ledger/EmbeddedChain.ts";
import { EvmLedger, deployRecordAnchor } from "../../src/adapters/ledger/EvmLedger.ts";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import { ledgerContract } from "./ledger.contract.ts";

ledgerContract("MemoryLedger", async () => {
  const ledger = new MemoryLedger();
  return { ledger, cleanup: () => ledger.close() };
});

// One anvil for the suite; each case gets a RecordAnchor contract of its own, so it starts with no anchors.
describe("on a real anvil", () => {
  let dir: string;
  let chain: EmbeddedChain;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-ledger-"));
    chain = await EmbeddedChain.start({ stateDir: dir, port: 0 });
  });
  afterAll(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  ledgerContract("EvmLedger (RecordAnchor on anvil)", async () => {
    const address = await deployRecordAnchor(chain.rpcUrl, ANVIL_DEV_PRIVATE_KEY);
    const ledger = new EvmLedger({
      rpcUrl: chain.rpcUrl,
      privateKey: ANVIL_DEV_PRIVATE_KEY,
      recordAnchorAddress: address,
      confirmations: 1,
    });
    return { ledger, cleanup: () => ledger.close() };
  });
});
